//! `<cloud>/images.csv`: SkyPilot's image tags (`skypilot:custom-gpu-ubuntu`)
//! resolved per region (`get_image_id_from_tag_impl`).

use super::csv::Csv;
use crate::error::{Error, Result};

/// `get_image_id_from_tag_impl`: the image of `tag` in `region` (any region
/// when `None`); more than one match is SkyPilot's assertion error.
pub fn image_id_from_tag(images: &Csv, tag: &str, region: Option<&str>) -> Result<Option<String>> {
    let want = region.map(str::to_lowercase);
    let rows: Vec<&Vec<String>> = images
        .records
        .iter()
        .filter(|r| images.get(r, "Tag") == Some(tag))
        .filter(|r| {
            want.as_deref().is_none_or(|w| {
                images
                    .get(r, "Region")
                    .is_some_and(|g| g.to_lowercase() == w)
            })
        })
        .collect();
    if rows.len() > 1 {
        return Err(Error::assertion(format!(
            "Multiple images found for tag {tag} in region {}",
            region.unwrap_or("None")
        )));
    }
    Ok(rows
        .first()
        .and_then(|r| images.get(r, "ImageId"))
        .map(str::to_string))
}

/// `is_image_tag_valid_impl`.
pub fn is_image_tag_valid(images: &Csv, tag: &str, region: Option<&str>) -> bool {
    let want = region.map(str::to_lowercase);
    images.records.iter().any(|r| {
        images.get(r, "Tag") == Some(tag)
            && images.get(r, "ImageId").is_some()
            && want.as_deref().is_none_or(|w| {
                images
                    .get(r, "Region")
                    .is_some_and(|g| g.to_lowercase() == w)
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_per_region() {
        let csv = Csv::parse(
            "Tag,Region,OS,OSVersion,ImageId,CreationDate\n\
             skypilot:gpu,us-east-1,ubuntu,22.04,ami-1,2024\n\
             skypilot:gpu,us-west-2,ubuntu,22.04,ami-2,2024\n\
             skypilot:cpu,,debian,10,projects/x,2022\n",
        );
        assert_eq!(
            image_id_from_tag(&csv, "skypilot:gpu", Some("US-WEST-2")).unwrap(),
            Some("ami-2".into())
        );
        assert!(image_id_from_tag(&csv, "skypilot:gpu", None).is_err());
        assert_eq!(
            image_id_from_tag(&csv, "skypilot:cpu", None).unwrap(),
            Some("projects/x".into())
        );
        assert!(is_image_tag_valid(&csv, "skypilot:gpu", Some("us-east-1")));
        assert!(!is_image_tag_valid(&csv, "skypilot:gpu", Some("eu-west-1")));
    }
}
