//! `sky.catalog.list_accelerators` (and `sky.list_accelerators`): the local
//! catalog query, answered by the Rust catalog layer.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyTuple};

use super::errors::IntoPy;
use crate::catalog::{Catalogs, ListFilter};

/// Cloud names from `clouds=` (`None`, a name, or a list of names).
fn cloud_names(clouds: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(c) = clouds.filter(|c| !c.is_none()) else {
        return Ok(Vec::new());
    };
    if let Ok(s) = c.extract::<String>() {
        return Ok(vec![s]);
    }
    c.try_iter()?
        .map(|x| x.and_then(|x| x.str().map(|s| s.to_string())))
        .collect()
}

/// Lists accelerators offered in the local catalogs:
/// `{name: [(cloud, instance_type, accelerator_name, accelerator_count,
/// cpu_count, device_memory, memory, price, spot_price, region), ...]}`.
#[pyfunction]
#[pyo3(signature = (gpus_only=true, name_filter=None, region_filter=None, quantity_filter=None, clouds=None, case_sensitive=true, all_regions=false, require_price=true))]
#[allow(clippy::too_many_arguments)]
pub fn list_accelerators<'py>(
    py: Python<'py>,
    gpus_only: bool,
    name_filter: Option<String>,
    region_filter: Option<String>,
    quantity_filter: Option<f64>,
    clouds: Option<&Bound<'py, PyAny>>,
    case_sensitive: bool,
    all_regions: bool,
    require_price: bool,
) -> PyResult<Bound<'py, PyDict>> {
    let names = cloud_names(clouds)?;
    let filter = ListFilter {
        gpus_only,
        name_filter,
        region_filter,
        quantity_filter,
        case_sensitive,
        all_regions,
    };
    let listing = py
        .detach(|| {
            let cat = Catalogs::shared();
            crate::clouds::list::list_accelerators(&cat, &names, &filter, require_price)
        })
        .py()?;
    let out = PyDict::new(py);
    for (name, infos) in listing {
        let rows = PyList::empty(py);
        for i in infos {
            // pandas gives NaN where the catalog has no instance type.
            let instance_type: Py<PyAny> = match i.instance_type {
                Some(t) => t.into_pyobject(py)?.into_any().unbind(),
                None => f64::NAN.into_pyobject(py)?.into_any().unbind(),
            };
            let row = PyTuple::new(
                py,
                [
                    i.cloud.into_pyobject(py)?.into_any().unbind(),
                    instance_type,
                    i.accelerator_name.into_pyobject(py)?.into_any().unbind(),
                    i.accelerator_count.into_pyobject(py)?.into_any().unbind(),
                    i.cpu_count.into_pyobject(py)?.into_any().unbind(),
                    i.device_memory.into_pyobject(py)?.into_any().unbind(),
                    i.memory.into_pyobject(py)?.into_any().unbind(),
                    i.price.into_pyobject(py)?.into_any().unbind(),
                    i.spot_price.into_pyobject(py)?.into_any().unbind(),
                    i.region.into_pyobject(py)?.into_any().unbind(),
                ],
            )?;
            rows.append(row)?;
        }
        out.set_item(name, rows)?;
    }
    Ok(out)
}
