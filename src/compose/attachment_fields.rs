//! What an attachment's fields may hold, and what they default to.

/// The media type a file name's extension suggests (`mime_guess`), else
/// `application/octet-stream`.
pub fn guessed_media_type(file_name: Option<&str>) -> String {
    file_name
        .and_then(|name| mime_guess::from_path(name).first_raw())
        .unwrap_or("application/octet-stream")
        .to_string()
}

/// A script's `content_type`: `type/subtype`, parameters allowed, in
/// printable ASCII on one line.
pub fn checked_media_type(given: &str) -> Result<String, String> {
    let printable = given.bytes().all(|b| (b' '..=b'~').contains(&b));
    let essence = given.split(';').next().unwrap_or_default().trim();
    match essence.split_once('/') {
        Some((kind, subtype)) if printable && is_token(kind) && is_token(subtype) => {
            Ok(given.to_string())
        }
        _ => Err(format!(
            "{given:?} is not a media type such as \"text/csv\""
        )),
    }
}

/// A script's `cid`, with or without angle brackets: printable ASCII
/// without spaces, brackets or quotes.
pub fn checked_content_id(given: &str) -> Result<String, String> {
    let bare = given
        .strip_prefix('<')
        .and_then(|id| id.strip_suffix('>'))
        .unwrap_or(given);
    let fits = !bare.is_empty()
        && bare
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"<>\"\\".contains(&b));
    if fits {
        Ok(bare.to_string())
    } else {
        Err(format!(
            "{given:?} is not a Content-ID (printable ASCII, no spaces)"
        ))
    }
}

/// The file name a path ends with.
pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// RFC 2045's token: printable ASCII but specials and space.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_guessed_from_the_extension() {
        assert_eq!(
            guessed_media_type(Some("relatório final.pdf")),
            "application/pdf"
        );
        assert_eq!(guessed_media_type(Some("logo.PNG")), "image/png");
        assert_eq!(
            guessed_media_type(Some("dump.unknownext")),
            "application/octet-stream"
        );
        assert_eq!(guessed_media_type(None), "application/octet-stream");
    }

    #[test]
    fn given_media_types_are_checked() {
        assert!(checked_media_type("text/csv").is_ok());
        assert!(checked_media_type("text/csv; charset=utf-8").is_ok());
        for bad in ["csv", "text/", "text/csv\r\nBcc: x", "té/x", "a b/c"] {
            assert!(checked_media_type(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn content_ids_lose_their_brackets() {
        assert_eq!(checked_content_id("<logo>").unwrap(), "logo");
        assert_eq!(
            checked_content_id("logo@example.com").unwrap(),
            "logo@example.com"
        );
        for bad in ["", "<>", "a b", "a\r\nb", "ló"] {
            assert!(checked_content_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn base_names_are_the_last_path_component() {
        assert_eq!(base_name("/tmp/relatório final.pdf"), "relatório final.pdf");
        assert_eq!(base_name("logo.png"), "logo.png");
    }
}
