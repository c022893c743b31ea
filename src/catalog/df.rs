//! [`Df`]: a filtered view of a [`VmTable`] (the rows in file order), with
//! the pandas operations SkyPilot's catalog code applies to its frames.

use std::cmp::Ordering;

use super::pysort::argsort_quicksort;
use super::table::{NONE, Sid, VmRow, VmTable};
use crate::error::{Error, ErrorKind, Result};

/// Which price column a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PriceCol {
    /// `Price`.
    OnDemand,
    /// `SpotPrice`.
    Spot,
}

impl PriceCol {
    /// `'SpotPrice' if use_spot else 'Price'`.
    pub fn of(use_spot: bool) -> PriceCol {
        if use_spot {
            PriceCol::Spot
        } else {
            PriceCol::OnDemand
        }
    }
    /// The column name.
    pub fn name(self) -> &'static str {
        match self {
            PriceCol::OnDemand => "Price",
            PriceCol::Spot => "SpotPrice",
        }
    }
    /// The value of a row.
    pub fn get(self, r: &VmRow) -> f64 {
        match self {
            PriceCol::OnDemand => r.price,
            PriceCol::Spot => r.spot_price,
        }
    }
}

/// A view of some rows of a table, in table order.
#[derive(Debug, Clone)]
pub struct Df<'a> {
    /// The table the rows belong to.
    pub t: &'a VmTable,
    /// The rows in view.
    pub rows: Vec<&'a VmRow>,
    /// Whether `rows` is the whole table (lets lookups use its indexes).
    full: bool,
}

impl<'a> Df<'a> {
    /// Every row of `t`.
    pub fn all(t: &'a VmTable) -> Df<'a> {
        Df {
            t,
            rows: t.rows.iter().collect(),
            full: true,
        }
    }

    /// A view of chosen rows.
    pub fn of(t: &'a VmTable, rows: Vec<&'a VmRow>) -> Df<'a> {
        Df {
            t,
            rows,
            full: false,
        }
    }

    /// Keeps the rows where `keep` holds (`df[mask]`).
    pub fn filter(mut self, mut keep: impl FnMut(&VmTable, &VmRow) -> bool) -> Df<'a> {
        let t = self.t;
        self.rows.retain(|r| keep(t, r));
        self.full = false;
        self
    }

    /// Whether no row is left.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The string of an id (`None` for NaN).
    pub fn s(&self, id: Sid) -> Option<&'a str> {
        if id == NONE { None } else { self.t.str(id) }
    }

    /// Errors with pandas' `KeyError` if the table lacks `column`.
    pub fn require(&self, column: &str) -> Result<()> {
        if self.t.columns.has(column) {
            Ok(())
        } else {
            Err(Error::new(ErrorKind::Key, column))
        }
    }

    /// `_get_instance_type(df, instance_type, region, zone)`: the exact
    /// instance type, the region case-insensitively, the zone exactly.
    pub fn instance_type(self, it: &str, region: Option<&str>, zone: Option<&str>) -> Df<'a> {
        let Some(id) = self.t.lookup(it) else {
            return Df::of(self.t, Vec::new());
        };
        let this = if self.full {
            let t = self.t;
            Df::of(
                t,
                t.rows_of_type(id)
                    .iter()
                    .map(|&i| &t.rows[i as usize])
                    .collect(),
            )
        } else {
            self
        };
        let region = region.map(str::to_lowercase);
        this.filter(|t, r| {
            r.instance_type == id
                && region
                    .as_deref()
                    .is_none_or(|want| t.str(r.region).is_some_and(|g| g.to_lowercase() == want))
                && zone.is_none_or(|z| t.str(r.zone) == Some(z))
        })
    }

    /// `_filter_region_zone`: region and zone both case-insensitively.
    pub fn region_zone(self, region: Option<&str>, zone: Option<&str>) -> Result<Df<'a>> {
        let mut df = self;
        if let Some(region) = region {
            let want = region.to_lowercase();
            df = df.filter(|t, r| t.str(r.region).is_some_and(|g| g.to_lowercase() == want));
        }
        if let Some(zone) = zone {
            df.require("AvailabilityZone")?;
            let want = zone.to_lowercase();
            df = df.filter(|t, r| t.str(r.zone).is_some_and(|g| g.to_lowercase() == want));
        }
        Ok(df)
    }

    /// `df.sort_values(price_col)` (numpy's quicksort; NaN last).
    pub fn sort_by_price(mut self, col: PriceCol) -> Df<'a> {
        let values: Vec<f64> = self.rows.iter().map(|r| col.get(r)).collect();
        let order = argsort_quicksort(&values);
        self.rows = order.into_iter().map(|i| self.rows[i]).collect();
        self.full = false;
        self
    }

    /// The distinct non-missing values of a string column, in order of
    /// first appearance (`.dropna().unique()`).
    pub fn unique(&self, col: impl Fn(&VmRow) -> Sid) -> Vec<&'a str> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for r in &self.rows {
            let id = col(r);
            if id != NONE
                && seen.insert(id)
                && let Some(s) = self.s(id)
            {
                out.push(s);
            }
        }
        out
    }
}

/// pandas' total order for sorting values: numbers, NaN last.
pub fn cmp_f64(a: f64, b: f64) -> Ordering {
    match (a.is_nan(), b.is_nan()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        _ => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    }
}

/// `int(x) if x.is_integer() else x`, as SkyPilot shows counts.
pub fn count_repr(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        crate::yaml::py_float_repr(x)
    }
}
