'use strict';
// Node's mailauth verifies the DKIM signatures of a batch of messages for
// dkim_verifiers.lua, in one process (each start costs a good part of a
// second).
//
// Usage: node verify_dkim.js KEYS FILE...
//
// KEYS holds one line per key, "<selector>._domainkey.<domain>" TAB
// "<TXT record>": mailauth's resolver answers from it, so no DNS is asked.
// Each FILE is a raw message (bytes, CRLF line ends). Prints one Lua table
// constructor: for each FILE in order, { result = "...", comment = "..." }
// for its first signature, or result "none" when it has none.
//
// A body hash that does not match is mailauth's "neutral"; RFC 6376 §6.3
// makes it a failure (PERMFAIL, "body hash did not verify"), and dkimpy
// says so, so it is reported as "fail" with mailauth's comment.

const fs = require('fs');
const path = require('path');

const { dkimVerify } = require(require.resolve('mailauth/lib/dkim/verify', { paths: [path.join(__dirname, 'node')] }));

function luaString(text) {
    return JSON.stringify(String(text)).replace(/\\u00([0-9a-f]{2})/g, (_, hex) => '\\' + parseInt(hex, 16));
}

async function main() {
    const [keysFile, ...messages] = process.argv.slice(2);
    const records = new Map();
    for (const line of fs.readFileSync(keysFile, 'utf8').split('\n')) {
        const tab = line.indexOf('\t');
        if (tab > 0) records.set(line.slice(0, tab).toLowerCase(), line.slice(tab + 1));
    }
    const resolver = async (name, type) => {
        const record = type === 'TXT' && records.get(name.toLowerCase());
        if (!record) throw Object.assign(new Error(`no record for ${name}`), { code: 'ENOTFOUND' });
        return [[record]];
    };
    const results = [];
    for (const file of messages) {
        const verified = await dkimVerify(fs.readFileSync(file), { resolver });
        const status = verified.results[0]?.status;
        let result = status?.result ?? 'none';
        const comment = status?.comment ?? '';
        if (result === 'neutral' && comment === 'body hash did not verify') result = 'fail';
        results.push(`{ result = ${luaString(result)}, comment = ${luaString(comment)} }`);
    }
    process.stdout.write(`{ ${results.join(', ')} }\n`);
}

main().catch((error) => {
    process.stderr.write(`${error.stack || error}\n`);
    process.exit(1);
});
