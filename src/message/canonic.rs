//! The spelling LuaSocket gives well-known header names on the wire.
//!
//! The list is the one in LuaSocket 3.1's `socket/headers.lua`; names it does
//! not know are written as given, which after lowering means lowercase.

/// The canonic spelling of a lowercase header name, if LuaSocket knows one.
pub fn canonic(lowercase_name: &[u8]) -> Option<&'static str> {
    let spelled = match lowercase_name {
        b"accept" => "Accept",
        b"accept-charset" => "Accept-Charset",
        b"accept-encoding" => "Accept-Encoding",
        b"accept-language" => "Accept-Language",
        b"accept-ranges" => "Accept-Ranges",
        b"action" => "Action",
        b"alternate-recipient" => "Alternate-Recipient",
        b"age" => "Age",
        b"allow" => "Allow",
        b"arrival-date" => "Arrival-Date",
        b"authorization" => "Authorization",
        b"bcc" => "Bcc",
        b"cache-control" => "Cache-Control",
        b"cc" => "Cc",
        b"comments" => "Comments",
        b"connection" => "Connection",
        b"content-description" => "Content-Description",
        b"content-disposition" => "Content-Disposition",
        b"content-encoding" => "Content-Encoding",
        b"content-id" => "Content-ID",
        b"content-language" => "Content-Language",
        b"content-length" => "Content-Length",
        b"content-location" => "Content-Location",
        b"content-md5" => "Content-MD5",
        b"content-range" => "Content-Range",
        b"content-transfer-encoding" => "Content-Transfer-Encoding",
        b"content-type" => "Content-Type",
        b"cookie" => "Cookie",
        b"date" => "Date",
        b"diagnostic-code" => "Diagnostic-Code",
        b"dsn-gateway" => "DSN-Gateway",
        b"etag" => "ETag",
        b"expect" => "Expect",
        b"expires" => "Expires",
        b"final-log-id" => "Final-Log-ID",
        b"final-recipient" => "Final-Recipient",
        b"from" => "From",
        b"host" => "Host",
        b"if-match" => "If-Match",
        b"if-modified-since" => "If-Modified-Since",
        b"if-none-match" => "If-None-Match",
        b"if-range" => "If-Range",
        b"if-unmodified-since" => "If-Unmodified-Since",
        b"in-reply-to" => "In-Reply-To",
        b"keywords" => "Keywords",
        b"last-attempt-date" => "Last-Attempt-Date",
        b"last-modified" => "Last-Modified",
        b"location" => "Location",
        b"max-forwards" => "Max-Forwards",
        b"message-id" => "Message-ID",
        b"mime-version" => "MIME-Version",
        b"original-envelope-id" => "Original-Envelope-ID",
        b"original-recipient" => "Original-Recipient",
        b"pragma" => "Pragma",
        b"proxy-authenticate" => "Proxy-Authenticate",
        b"proxy-authorization" => "Proxy-Authorization",
        b"range" => "Range",
        b"received" => "Received",
        b"received-from-mta" => "Received-From-MTA",
        b"references" => "References",
        b"referer" => "Referer",
        b"remote-mta" => "Remote-MTA",
        b"reply-to" => "Reply-To",
        b"reporting-mta" => "Reporting-MTA",
        b"resent-bcc" => "Resent-Bcc",
        b"resent-cc" => "Resent-Cc",
        b"resent-date" => "Resent-Date",
        b"resent-from" => "Resent-From",
        b"resent-message-id" => "Resent-Message-ID",
        b"resent-reply-to" => "Resent-Reply-To",
        b"resent-sender" => "Resent-Sender",
        b"resent-to" => "Resent-To",
        b"retry-after" => "Retry-After",
        b"return-path" => "Return-Path",
        b"sender" => "Sender",
        b"server" => "Server",
        b"smtp-remote-recipient" => "SMTP-Remote-Recipient",
        b"status" => "Status",
        b"subject" => "Subject",
        b"te" => "TE",
        b"to" => "To",
        b"trailer" => "Trailer",
        b"transfer-encoding" => "Transfer-Encoding",
        b"upgrade" => "Upgrade",
        b"user-agent" => "User-Agent",
        b"vary" => "Vary",
        b"via" => "Via",
        b"warning" => "Warning",
        b"will-retry-until" => "Will-Retry-Until",
        b"www-authenticate" => "WWW-Authenticate",
        b"x-mailer" => "X-Mailer",
        _ => return None,
    };
    Some(spelled)
}

#[cfg(test)]
mod tests {
    use super::canonic;

    #[test]
    fn known_names_get_their_irregular_capitals() {
        assert_eq!(canonic(b"mime-version"), Some("MIME-Version"));
        assert_eq!(canonic(b"message-id"), Some("Message-ID"));
        assert_eq!(canonic(b"te"), Some("TE"));
        assert_eq!(canonic(b"www-authenticate"), Some("WWW-Authenticate"));
    }

    #[test]
    fn unknown_and_non_lowercase_names_have_no_canonic_form() {
        assert_eq!(canonic(b"x-priority"), None);
        assert_eq!(canonic(b"Subject"), None);
        assert_eq!(canonic(b""), None);
    }

    #[test]
    fn every_canonic_form_lowercases_back_to_its_key() {
        let names: &[&[u8]] = &[b"content-md5", b"dsn-gateway", b"etag", b"x-mailer", b"cc"];
        for name in names {
            let spelled = canonic(name).unwrap();
            assert_eq!(spelled.to_ascii_lowercase().as_bytes(), *name);
        }
    }
}
