// The QR tag on a site's door: `<base url>/s/<site code>.<sig>` (API-CONTRACT, Labels;
// server/evidence/qr.py parses it the same way). The host is not compared: tags printed
// before a move, or the address this phone uses, may differ from the server's base URL.
// The signature is checked by the server; offline the phone only reads the code. Codes of
// the register's own form (6 symbols + a check symbol, server/sites/codes.py) are checked
// here too, so a mistyped code is caught offline.

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const CODE = "[0-9A-Z](?:[0-9A-Z-]{0,14}[0-9A-Z])?";
const SIG = "[A-Z2-7]{10}";
const TAIL = new RegExp(`^(${CODE})\\.(${SIG})$`);
const CODE_RE = new RegExp(`^${CODE}$`);

export function checkSymbol(body) {
  let factor = 2;
  let total = 0;
  for (let i = body.length - 1; i >= 0; i--) {
    const addend = factor * ALPHABET.indexOf(body[i]);
    factor = factor === 2 ? 1 : 2;
    total += Math.floor(addend / 32) + (addend % 32);
  }
  return ALPHABET[(32 - (total % 32)) % 32];
}

/** Upper-case and map the look-alikes people type (O→0, I/L→1). */
export function normalizeCode(code) {
  return String(code).trim().toUpperCase().replace(/O/g, "0").replace(/[IL]/g, "1");
}

export function isValidCode(code) {
  if (typeof code !== "string" || code.length !== 7) return false;
  if ([...code].some((c) => !ALPHABET.includes(c))) return false;
  return checkSymbol(code.slice(0, 6)) === code[6];
}

/** A code typed by hand: normalised, and checked when it has the check-symbol form. */
export function manualCode(text) {
  const code = normalizeCode(text);
  if (!CODE_RE.test(code)) return null;
  if (code.length === 7 && !code.includes("-") && !isValidCode(code)) return null;
  return code;
}

/**
 * What a scanned text is: {kind: "site", code, sig} | {kind: "bad_code", code} |
 * {kind: "foreign"} (not one of our tags: another system's QR, a web link, a payment code).
 */
export function parseTag(text) {
  const raw = String(text ?? "").trim();
  if (!raw || raw.length > 240) return { kind: "foreign" };
  let tail = raw;
  if (raw.includes("://")) {
    let url;
    try { url = new URL(raw); } catch { return { kind: "foreign" }; }
    if (!/^https?:$/.test(url.protocol) || url.search || url.hash) return { kind: "foreign" };
    const at = url.pathname.lastIndexOf("/s/");
    if (at < 0) return { kind: "foreign" };
    tail = url.pathname.slice(at + 3);
  }
  const match = TAIL.exec(tail);
  if (!match) return { kind: "foreign" };
  const code = match[1];
  if (code.length === 7 && !code.includes("-") && !isValidCode(code)) return { kind: "bad_code", code };
  return { kind: "site", code, sig: match[2] };
}
