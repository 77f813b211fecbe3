//! Values as text, the same way on every engine: decimals rounded half away from zero to a
//! fixed scale (what PostgreSQL's `round` and MySQL's `CAST(… AS DECIMAL)` print), times in
//! UTC to the µs.

pub fn is_decimal(t: &str) -> bool {
    let body = t.strip_prefix(['-', '+']).unwrap_or(t);
    !body.is_empty() && body.chars().all(|c| c.is_ascii_digit() || c == '.') && body.matches('.').count() <= 1
}

/// A decimal string (`-12.345`, `1e-7` from a float) rounded half away from zero to `scale`
/// places, with exactly that many: what PostgreSQL's `round(numeric, s)` and MySQL's
/// `CAST(… AS DECIMAL(65, s))` print.
pub fn round_decimal(text: &str, scale: u32) -> String {
    let plain = expand_exponent(text);
    let (negative, body) = match plain.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, plain.trim_start_matches('+').to_string()),
    };
    let (int, frac) = body.split_once('.').unwrap_or((&body, ""));
    let scale = scale as usize;
    let mut digits: Vec<u8> = int
        .bytes()
        .chain(frac.bytes().chain(std::iter::repeat(b'0')).take(scale))
        .map(|d| d - b'0')
        .collect();
    if frac.as_bytes().get(scale).is_some_and(|d| *d >= b'5') {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, 1);
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let text: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    let split = text.len() - scale;
    let int = text[..split].trim_start_matches('0');
    let int = if int.is_empty() { "0" } else { int };
    let zero = int == "0" && text[split..].bytes().all(|d| d == b'0');
    let sign = if negative && !zero { "-" } else { "" };
    if scale == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{}", &text[split..])
    }
}

/// `1.5e-7` as `0.00000015` (floats print exponents; decimals never do).
fn expand_exponent(text: &str) -> String {
    let Some((mantissa, exp)) = text.split_once(['e', 'E']) else { return text.to_string() };
    let Ok(exp) = exp.parse::<i32>() else { return text.to_string() };
    let (sign, m) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let (int, frac) = m.split_once('.').unwrap_or((m, ""));
    let digits = format!("{int}{frac}");
    let point = i32::try_from(int.len()).unwrap_or(0) + exp;
    if point <= 0 {
        format!("{sign}0.{}{digits}", "0".repeat(usize::try_from(-point).unwrap_or(0)))
    } else if usize::try_from(point).unwrap_or(0) >= digits.len() {
        format!("{sign}{digits}{}", "0".repeat(usize::try_from(point).unwrap_or(0) - digits.len()))
    } else {
        let p = usize::try_from(point).unwrap_or(0);
        format!("{sign}{}.{}", &digits[..p], &digits[p..])
    }
}

/// µs since the epoch as `YYYY-MM-DD HH:MM:SS.ffffff` (UTC): a timestamp's canonical text.
pub fn utc_text(us: i64) -> String {
    let secs = us.div_euclid(1_000_000);
    let (y, m, d) = types::time::civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:06}",
        s / 3600,
        s % 3600 / 60,
        s % 60,
        us.rem_euclid(1_000_000)
    )
}

/// `YYYY-MM-DD[ T]HH:MM:SS[.ffffff][Z|±HH:MM]` (a time without zone is UTC) to µs.
pub fn parse_timestamp_us(t: &str) -> Option<i64> {
    let t = t.trim();
    let num = |s: &str| s.parse::<i64>().ok();
    let (y, mo, d) = (num(t.get(0..4)?)?, num(t.get(5..7)?)?, num(t.get(8..10)?)?);
    let rest = t.get(10..).unwrap_or("");
    let rest = rest.strip_prefix([' ', 'T']).unwrap_or(rest);
    let (h, mi, s) =
        if rest.len() >= 8 { (num(&rest[0..2])?, num(&rest[3..5])?, num(&rest[6..8])?) } else { (0, 0, 0) };
    let mut after = rest.get(8..).unwrap_or("");
    let mut micros = 0;
    if let Some(f) = after.strip_prefix('.') {
        let digits: String = f.chars().take_while(char::is_ascii_digit).collect();
        after = &f[digits.len()..];
        let six: String = digits.chars().chain(std::iter::repeat('0')).take(6).collect();
        micros = num(&six)?;
    }
    let offset = match after {
        "" | "Z" | "+00" | "+00:00" => 0,
        o if o.len() >= 3 => {
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let hours = num(o.get(1..3)?)?;
            let minutes = o.get(4..6).and_then(num).unwrap_or(0);
            sign * (hours * 3600 + minutes * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    Some(((days * 86_400 + h * 3600 + mi * 60 + s - offset) * 1_000_000) + micros)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}
