'use strict';
// Node's mailparser reads one message for mail_parsers.lua.
//
// Usage: node parse_mail.js FILE
//
// Reads the raw message in FILE (bytes, CRLF line ends) with mailparser's
// streaming MailParser (simpleParser's engine, which would keep every
// attachment whole in memory) and prints what it found as one Lua table
// constructor, in the shape mail_parsers.lua describes; parse_mail.py does
// the same with Python's email package.
//
// The bodies are mailparser's text and html, left as it gives them: its line
// ends are LF, and parse_mail.py turns CRLF into LF to match. Its own extras
// are off: no text made from HTML, no HTML made from text, no links. The
// attachments are the parts it streams as attachments, in message order,
// inline images of a multipart/related among them.

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

// mailparser lives in the npm project beside this script (install-deps.sh).
const { MailParser } = require(require.resolve('mailparser', { paths: [path.join(__dirname, 'node')] }));

// Attachments up to this size carry their bytes; larger ones only their hash.
const DATA_LIMIT = 64 * 1024;

// value as a Lua constructor: strings as their UTF-8 bytes, each byte
// outside printable ASCII, and every quote and backslash, as a \ddd escape;
// objects with their undefined values left out.
function lua(value) {
    if (typeof value === 'boolean' || typeof value === 'number') {
        return String(value);
    }
    if (typeof value === 'string' || Buffer.isBuffer(value)) {
        let out = '"';
        for (const byte of Buffer.from(value)) {
            const c = String.fromCharCode(byte);
            out += byte >= 32 && byte < 127 && c !== '"' && c !== '\\' ? c : '\\' + String(byte).padStart(3, '0');
        }
        return out + '"';
    }
    if (Array.isArray(value)) {
        return '{' + value.map(lua).join(',') + '}';
    }
    return '{' + Object.entries(value)
        .filter(([, item]) => item !== undefined)
        .map(([key, item]) => '[' + lua(key) + ']=' + lua(item))
        .join(',') + '}';
}

// The mailboxes of the first field of the address header `name`, groups
// flattened, or undefined when there is no such field.
function addresses(headers, name) {
    const field = [].concat(headers.get(name) || [])[0];
    if (!field) {
        return undefined;
    }
    const flat = [];
    for (const entry of field.value) {
        for (const address of entry.group || [entry]) {
            flat.push({ name: address.name, address: address.address });
        }
    }
    return flat;
}

// Every header field of the message, first of each name, unfolded and with
// its encoded words decoded by mailparser's own libmime: mailparser decodes
// them only in the fields it knows.
function decodedFields(parser, lines) {
    const fields = Object.create(null);
    for (const { key, line } of lines) {
        if (!(key in fields)) {
            const value = Buffer.from(parser.libmime.decodeHeader(line).value, 'binary').toString();
            fields[key] = parser.libmime.decodeWords(value);
        }
    }
    return fields;
}

// Reads one attachment stream: its size and hash come from mailparser
// (checksumAlgo), its bytes are kept while they fit DATA_LIMIT.
function readAttachment(attachment) {
    return new Promise((resolve, reject) => {
        const chunks = [];
        let kept = 0;
        attachment.content.on('data', chunk => {
            if (kept <= DATA_LIMIT) {
                chunks.push(chunk);
                kept += chunk.length;
            }
        });
        attachment.content.on('error', reject);
        attachment.content.on('end', () => {
            attachment.release();
            const declared = attachment.headers.get('content-type');
            resolve({
                filename: attachment.filename,
                // The declared type: for application/octet-stream mailparser's
                // contentType is a guess from the file name.
                content_type: declared && declared.value.toLowerCase(),
                content_id: attachment.cid,
                disposition: attachment.contentDisposition,
                size: attachment.size,
                sha256: attachment.checksum,
                data: attachment.size <= DATA_LIMIT ? Buffer.concat(chunks) : undefined,
            });
        });
    });
}

function parse(file) {
    return new Promise((resolve, reject) => {
        const parser = new MailParser({
            checksumAlgo: 'sha256',
            skipHtmlToText: true,
            skipTextToHtml: true,
            skipTextLinks: true,
            skipImageLinks: true,
        });
        const attachments = [];
        let headers;
        let lines;
        let text;
        parser.on('headers', map => {
            headers = map;
            lines = parser.headerLines;
        });
        parser.on('data', data => {
            if (data.type === 'attachment') {
                attachments.push(readAttachment(data));
            } else {
                text = data;
            }
        });
        parser.on('error', reject);
        parser.on('end', () => {
            Promise.all(attachments).then(parts => {
                const fields = decodedFields(parser, lines);
                const date = headers.get('date');
                resolve({
                    subject: headers.get('subject'),
                    from: addresses(headers, 'from') || [],
                    to: addresses(headers, 'to') || [],
                    cc: addresses(headers, 'cc') || [],
                    reply_to: addresses(headers, 'reply-to') || [],
                    sender: addresses(headers, 'sender'),
                    bcc_header: 'bcc' in fields,
                    message_id: headers.get('message-id'),
                    date: date && date.toISOString().replace(/\.\d{3}Z$/, 'Z'),
                    // Without skipHtmlToText an HTML-only message would get a
                    // text made from it; with it, the text is empty instead.
                    text: parser.hasText ? text.text : undefined,
                    html: text.html,
                    headers: fields,
                    attachments: parts,
                });
            }, reject);
        });
        fs.createReadStream(file).on('error', reject).pipe(parser);
    });
}

parse(process.argv[2]).then(result => {
    process.stdout.write(lua(result) + '\n');
}, error => {
    process.stderr.write((error && error.stack) || String(error));
    process.stderr.write('\n');
    process.exitCode = 1;
});
