// Location: one fix with a timeout (GPS in a village can take long or never come), and the
// distance between two points for "sites near me".

/** {lat, lon, accuracy_m, at} or throws an Error whose message says why. */
export function currentPosition({ timeout = 15000, maxAge = 60000 } = {}) {
  return new Promise((resolve, reject) => {
    if (!("geolocation" in navigator)) {
      reject(new Error("no geolocation"));
      return;
    }
    navigator.geolocation.getCurrentPosition(
      (pos) => resolve({
        lat: round(pos.coords.latitude, 6),
        lon: round(pos.coords.longitude, 6),
        accuracy_m: Math.round(pos.coords.accuracy),
        at: new Date(pos.timestamp || Date.now()).toISOString(),
      }),
      (err) => reject(new Error(err.message || `error ${err.code}`)),
      { enableHighAccuracy: true, timeout, maximumAge: maxAge },
    );
  });
}

function round(value, digits) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** Great-circle distance in metres. */
export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const s = Math.sin(dLat / 2) ** 2 +
    Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371000 * Math.asin(Math.min(1, Math.sqrt(s)));
}

export function fmtDistance(m) {
  return m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(1)} km`;
}
