//! Distances on the Earth, the same for every metadata store.

/// The mean Earth radius (IUGG), in metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres (haversine).
pub fn distance_meters(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let d_phi = (lat2 - lat1).to_radians();
    let d_lambda = (lon2 - lon1).to_radians();
    let a = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

pub fn valid_lat(lat: f64) -> bool {
    lat.is_finite() && (-90.0..=90.0).contains(&lat)
}

pub fn valid_lon(lon: f64) -> bool {
    lon.is_finite() && (-180.0..=180.0).contains(&lon)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn san_francisco_to_los_angeles_is_about_559_km() {
        let d = distance_meters(37.7749, -122.4194, 34.0522, -118.2437);
        assert!((d - 559_100.0).abs() < 1_500.0, "{d}");
        assert_eq!(distance_meters(1.0, 2.0, 1.0, 2.0), 0.0);
    }
}
