// Copyright (C) 2017 1aim GmbH
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

use crate::error;
use crate::metadata::loader;
use crate::Metadata;
use fnv::FnvHashMap;
use once_cell::sync::Lazy;
use crate::regex_cache::{CachedRegex, CachedRegexBuilder, RegexCache};
use std::borrow::Borrow;
use std::fs::File;
use std::hash::Hash;
use std::io::{BufReader, Cursor};
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

/// PATCH(phonescrub): each region's metadata, postcard-encoded apart (build.rs).
const DATABASE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/database.bin"));
// `INDEX`: each region's id, calling code, whether it is its code's main region, and where
// its bytes end in `DATABASE`, in the database's order.
include!(concat!(env!("OUT_DIR"), "/database_index.rs"));

/// The Google provided metadata database, used as default.
pub static DEFAULT: Lazy<Database> = Lazy::new(Database::built_in);

/// Representation of a database of metadata for phone number.
#[derive(Clone, Debug)]
pub struct Database {
    cache: Arc<Mutex<RegexCache>>,
    /// PATCH(phonescrub): every region, in the database's order (the lookups below hold
    /// indexes into it).
    entries: Vec<Entry>,
    by_id: FnvHashMap<String, usize>,
    by_code: FnvHashMap<u16, Code>,
}

/// PATCH(phonescrub): a region's metadata, and for the built-in database where its bytes
/// are until it is first used.
#[derive(Clone, Debug)]
struct Entry {
    meta: OnceLock<Arc<super::Metadata>>,
    bytes: Option<(u32, u32)>,
}

/// PATCH(phonescrub): a calling code's regions, the main one first.
#[derive(Clone, Debug, Default)]
struct Code {
    entries: Vec<usize>,
    /// The regions' metadata, converted on first use (all of the code's at once).
    metas: OnceLock<Vec<Arc<super::Metadata>>>,
    regions: Vec<String>,
    /// `regions`, parsed (`None` for "001"), in the same order.
    region_ids: Vec<Option<crate::country::Id>>,
}

impl Database {
    /// Load a database from the given file.
    pub fn load<P: AsRef<Path>>(path: P) -> Result<Self, error::LoadMetadata> {
        Database::from(loader::load(BufReader::new(File::open(path)?))?)
    }

    /// Parse a database from the given string.
    pub fn parse<S: AsRef<str>>(content: S) -> Result<Self, error::LoadMetadata> {
        Database::from(loader::load(Cursor::new(content.as_ref()))?)
    }

    /// Create a database from a loaded database.
    pub fn from(meta: Vec<loader::Metadata>) -> Result<Self, error::LoadMetadata> {
        Database::build(meta)
    }

    /// PATCH(phonescrub): `from` (every region converted at once).
    fn build(meta: Vec<loader::Metadata>) -> Result<Self, error::LoadMetadata> {
        let mut entries = Vec::with_capacity(meta.len());
        let mut index = Vec::with_capacity(meta.len());
        for (i, meta) in meta.into_iter().enumerate() {
            let converted = Database::convert(i, meta, false)?;
            index.push((
                converted.id.clone(),
                converted.country_code,
                converted.main_country_for_code,
            ));
            entries.push(Entry {
                meta: OnceLock::from(Arc::new(converted)),
                bytes: None,
            });
        }
        Ok(Database::with_entries(entries, index))
    }

    /// PATCH(phonescrub): the built-in database, each region converted on first use: a
    /// program that reads numbers of a few countries deserialises and converts only
    /// theirs (build.rs writes each region apart, with an index of ids, calling codes
    /// and ends).
    fn built_in() -> Self {
        assert!(
            INDEX.len() == super::validity::Table::regions()
                && INDEX.len() == super::prefix::Prefix::regions(),
            "the validity and prefix tables were built for this database"
        );
        let mut start = 0;
        let entries = INDEX
            .iter()
            .map(|&(_, _, _, end)| {
                let bytes = Some((start, end));
                start = end;
                Entry {
                    meta: OnceLock::new(),
                    bytes,
                }
            })
            .collect();
        let index = INDEX
            .iter()
            .map(|&(id, code, main, _)| (id.to_owned(), code, main))
            .collect();
        Database::with_entries(entries, index)
    }

    /// PATCH(phonescrub): for a test: a new copy of the built-in database, nothing
    /// converted yet.
    #[doc(hidden)]
    pub fn built_in_unconverted() -> Self {
        Database::built_in()
    }

    /// PATCH(phonescrub): for a test: how many regions have been converted.
    #[doc(hidden)]
    pub fn converted(&self) -> usize {
        self.entries.iter().filter(|e| e.meta.get().is_some()).count()
    }

    /// The lookups, from each region's (id, calling code, main region for its code).
    fn with_entries(entries: Vec<Entry>, index: Vec<(String, u16, bool)>) -> Self {
        let mut by_id = FnvHashMap::default();
        let mut by_code: FnvHashMap<u16, Code> = FnvHashMap::default();
        for (i, (id, code, main)) in index.into_iter().enumerate() {
            let entry = by_code.entry(code).or_default();
            let region_id = id.parse().ok();
            if main {
                entry.entries.insert(0, i);
                entry.regions.insert(0, id.clone());
                entry.region_ids.insert(0, region_id);
            } else {
                entry.entries.push(i);
                entry.regions.push(id.clone());
                entry.region_ids.push(region_id);
            }
            by_id.insert(id, i);
        }
        Database {
            cache: Arc::new(Mutex::new(RegexCache::new(100))),
            entries,
            by_id,
            by_code,
        }
    }

    /// The `i`th region's metadata, converted on first use.
    #[inline]
    fn entry(&self, i: usize) -> &Arc<super::Metadata> {
        let entry = &self.entries[i];
        match entry.meta.get() {
            Some(meta) => meta,
            None => Database::load_entry(entry, i),
        }
    }

    #[cold]
    #[inline(never)]
    fn load_entry(entry: &Entry, i: usize) -> &Arc<super::Metadata> {
        entry.meta.get_or_init(|| {
            let (start, end) = entry.bytes.expect("a region not converted has its bytes");
            let meta = postcard::from_bytes(&DATABASE[start as usize..end as usize])
                .expect("the built-in database deserialises");
            Arc::new(Database::convert(i, meta, true).expect("the built-in database converts"))
        })
    }

    /// PATCH(phonescrub): one region's metadata as loaded, converted (its patterns
    /// compiled on first use); with `tables` (the built-in database, whose `index`th region
    /// it is), its validity and prefix tables attached.
    fn convert(
        index: usize,
        mut meta: loader::Metadata,
        tables: bool,
    ) -> Result<super::Metadata, error::LoadMetadata> {
        fn tranpose<T, E>(value: Option<Result<T, E>>) -> Result<Option<T>, E> {
            match value {
                None => Ok(None),

                Some(Ok(value)) => Ok(Some(value)),

                Some(Err(err)) => Err(err),
            }
        }

        // PATCH(phonescrub): each source moved into its regex, not copied twice.
        let regex = |value: String| -> Result<CachedRegex, error::LoadMetadata> {
            let mut builder = CachedRegexBuilder::from_source(value);
            builder.ignore_whitespace(true);
            Ok(builder.into_regex())
        };

        let descriptor =
            |desc: loader::Descriptor| -> Result<super::Descriptor, error::LoadMetadata> {
                desc.national_number.as_ref().unwrap();
                desc.national_number.as_ref().unwrap();

                Ok(super::Descriptor {
                    national_number: desc
                        .national_number
                        .ok_or_else(|| {
                            error::LoadMetadata::from(error::Metadata::MissingValue {
                                phase: "descriptor".into(),
                                name: "national_number".into(),
                            })
                        })
                        // PATCH(phonescrub): matched as a whole (anchored at both ends
                        // when it compiles). libphonenumber's matchNationalNumber is a
                        // full match; a prefix match made numbers with extra trailing
                        // digits valid.
                        .map(|pattern| {
                            let mut builder = CachedRegexBuilder::from_source(pattern);
                            builder.ignore_whitespace(true);
                            builder.whole(true).into_regex()
                        })?,

                    possible_length: desc.possible_length,
                    possible_local_length: desc.possible_local_length,
                    example: desc.example,
                })
            };

        let format = |format: loader::Format| -> Result<super::Format, error::LoadMetadata> {
            Ok(super::Format {
                pattern: format
                    .pattern
                    .ok_or_else(|| {
                        error::LoadMetadata::from(error::Metadata::MissingValue {
                            phase: "format".into(),
                            name: "pattern".into(),
                        })
                    })
                    .and_then(regex)?,

                format: format.format.ok_or_else(|| {
                    error::LoadMetadata::from(error::Metadata::MissingValue {
                        phase: "format".into(),
                        name: "format".into(),
                    })
                })?,

                leading_digits: format
                    .leading_digits
                    .into_iter()
                    .map(&regex)
                    .collect::<Result<_, _>>()?,

                national_prefix: format.national_prefix_formatting_rule,
                national_prefix_optional: format.national_prefix_optional_when_formatting,

                domestic_carrier: format.domestic_carrier,
            })
        };

        // PATCH(phonescrub): the region's validity table, and its IDD's and national
        // prefix's (`prefix`).
        let (table, (idd_table, national_table)) = match (tables, meta.id.as_deref()) {
            (true, Some(id)) => (
                Some(super::validity::Table::of_region(index, id)),
                super::prefix::Prefix::of_region(index),
            ),
            _ => (None, (None, None)),
        };
        // PATCH(phonescrub): as libphonenumber's BuildMetadataFromXml
        // (setPossibleLengthsGeneralDesc), the general descriptor's possible lengths are
        // the union of the number types' lengths; the XML leaves them out, and without
        // them every length test against the general descriptor said InvalidLength.
        let (mut lengths, mut local) = (Vec::new(), Vec::new());
        for desc in [
            &meta.fixed_line,
            &meta.mobile,
            &meta.toll_free,
            &meta.premium_rate,
            &meta.shared_cost,
            &meta.personal_number,
            &meta.voip,
            &meta.pager,
            &meta.uan,
            &meta.voicemail,
        ]
        .into_iter()
        .flatten()
        {
            lengths.extend(desc.possible_length.iter().copied());
            local.extend(desc.possible_local_length.iter().copied());
        }
        lengths.sort_unstable();
        lengths.dedup();
        local.sort_unstable();
        local.dedup();
        local.retain(|l| !lengths.contains(l));
        if let Some(general) = meta.general.as_mut() {
            if general.possible_length.is_empty() {
                general.possible_length = lengths;
                general.possible_local_length = local;
            }
        }
        Ok(super::Metadata {
            descriptors: super::Descriptors {
                general: descriptor(meta.general.ok_or_else(|| {
                    error::LoadMetadata::from(error::Metadata::MissingValue {
                        phase: "metadata".into(),
                        name: "generalDesc".into(),
                    })
                })?)?,

                fixed_line: tranpose(meta.fixed_line.map(descriptor))?,
                mobile: tranpose(meta.mobile.map(descriptor))?,
                toll_free: tranpose(meta.toll_free.map(descriptor))?,
                premium_rate: tranpose(meta.premium_rate.map(descriptor))?,
                shared_cost: tranpose(meta.shared_cost.map(descriptor))?,
                personal_number: tranpose(meta.personal_number.map(descriptor))?,
                voip: tranpose(meta.voip.map(descriptor))?,
                pager: tranpose(meta.pager.map(descriptor))?,
                uan: tranpose(meta.uan.map(descriptor))?,
                emergency: tranpose(meta.emergency.map(descriptor))?,
                voicemail: tranpose(meta.voicemail.map(descriptor))?,
                short_code: tranpose(meta.short_code.map(descriptor))?,
                standard_rate: tranpose(meta.standard_rate.map(descriptor))?,
                carrier: tranpose(meta.carrier.map(descriptor))?,
                no_international: tranpose(meta.no_international.map(descriptor))?,
            },

            id: meta.id.ok_or_else(|| {
                error::LoadMetadata::from(error::Metadata::MissingValue {
                    phase: "metadata".into(),
                    name: "id".into(),
                })
            })?,

            country_code: meta.country_code.ok_or_else(|| {
                error::LoadMetadata::from(error::Metadata::MissingValue {
                    phase: "metadata".into(),
                    name: "countryCode".into(),
                })
            })?,

            international_prefix: tranpose(meta.international_prefix.map(regex))?
                .map(|re| re.with_prefix(idd_table)),
            preferred_international_prefix: meta.preferred_international_prefix,
            national_prefix: meta.national_prefix,
            preferred_extension_prefix: meta.preferred_extension_prefix,
            national_prefix_for_parsing: tranpose(meta.national_prefix_for_parsing.map(regex))?
                .map(|re| re.with_prefix(national_table)),
            national_prefix_transform_rule: meta.national_prefix_transform_rule,

            formats: meta
                .formats
                .into_iter()
                .map(&format)
                .collect::<Result<_, _>>()?,
            international_formats: meta
                .international_formats
                .into_iter()
                .map(&format)
                .collect::<Result<_, _>>()?,

            main_country_for_code: meta.main_country_for_code,
            leading_digits: tranpose(meta.leading_digits.map(regex))?,
            mobile_number_portable: meta.mobile_number_portable,
            table,
        })
    }

    /// Get the regular expression cache.
    pub fn cache(&self) -> Arc<Mutex<RegexCache>> {
        self.cache.clone()
    }

    /// Get a metadata entry by country ID.
    #[inline]
    pub fn by_id<Q>(&self, key: &Q) -> Option<&super::Metadata>
    where
        Q: ?Sized + Hash + Eq,
        String: Borrow<Q>,
    {
        self.by_id.get(key).map(|&i| &**self.entry(i))
    }

    /// Get metadata entries by country code.
    pub fn by_code<Q>(&self, key: &Q) -> Option<Vec<&super::Metadata>>
    where
        Q: ?Sized + Hash + Eq,
        u16: Borrow<Q>,
    {
        self.by_code
            .get(key)
            .map(|c| c.entries.iter().map(|&i| &**self.entry(i)).collect())
    }

    /// PATCH(phonescrub): `by_code` without collecting into a new `Vec` (the parser and
    /// validator ask for every number they read).
    pub(crate) fn metadata_for_code(&self, code: u16) -> Option<&[Arc<super::Metadata>]> {
        self.by_code.get(&code).map(|c| {
            c.metas
                .get_or_init(|| c.entries.iter().map(|&i| self.entry(i).clone()).collect())
                .as_slice()
        })
    }

    /// PATCH(phonescrub): `region` without collecting into a new `Vec`.
    pub(crate) fn regions_for_code(&self, code: u16) -> Option<&[String]> {
        self.by_code.get(&code).map(|c| c.regions.as_slice())
    }

    /// PATCH(phonescrub): `regions_for_code`, parsed (`None` for "001"); the same order as
    /// it and as `metadata_for_code`.
    pub(crate) fn region_ids_for_code(&self, code: u16) -> Option<&[Option<crate::country::Id>]> {
        self.by_code.get(&code).map(|c| c.region_ids.as_slice())
    }

    /// Get all country IDs corresponding to the given country code.
    pub fn region<Q>(&self, code: &Q) -> Option<Vec<&str>>
    where
        Q: ?Sized + Hash + Eq,
        u16: Borrow<Q>,
    {
        self.by_code
            .get(code)
            .map(|c| c.regions.iter().map(AsRef::as_ref).collect())
    }

    /// Iterator over all `Metadata` entries in this database.
    pub fn iter(&self) -> impl Iterator<Item = &Metadata> {
        self.by_id.values().map(|&i| &**self.entry(i))
    }
}
