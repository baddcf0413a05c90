-- DKIM keys for the specs, made by openssl in a folder the caller removes:
--
--   local keys = dkim_keys.make(dir)
--   keys.rsa.pem, keys.rsa.file        -- RSA-2048, PKCS#8
--   keys.rsa.pkcs1                     -- the same key as "RSA PRIVATE KEY"
--   keys.rsa.public_der                -- its SubjectPublicKeyInfo, by openssl
--   keys.ed25519.pem, .file, .public_der
--
-- Each key also has a selector of its own, and a dkim table for
-- example.com through `keys.rsa.dkim{ canonicalization = ... }`.

local files = require("files")

local quote = files.quote

local dkim_keys = { DOMAIN = "example.com" }

local function openssl(arguments)
    assert(files.execute("openssl " .. arguments .. " 2>/dev/null"), "openssl " .. arguments .. " failed")
end

local function make_key(dir, name, algorithm_options)
    local file = dir .. "/" .. name .. ".pem"
    openssl(("genpkey %s -out %s"):format(algorithm_options, quote(file)))
    openssl(("pkey -in %s -pubout -outform DER -out %s"):format(quote(file), quote(file .. ".pub")))
    local made = {
        file = file,
        pem = files.read(file),
        public_der = files.read(file .. ".pub"),
        selector = name,
    }
    function made.dkim(fields)
        local t = { domain = dkim_keys.DOMAIN, selector = name, key = made.pem }
        for field, value in pairs(fields or {}) do t[field] = value end
        return t
    end
    return made
end

function dkim_keys.make(dir)
    local keys = {
        rsa = make_key(dir, "rsa2048", "-algorithm RSA -pkeyopt rsa_keygen_bits:2048"),
        ed25519 = make_key(dir, "ed25519", "-algorithm ed25519"),
    }
    local pkcs1 = dir .. "/rsa2048-pkcs1.pem"
    openssl(("rsa -in %s -traditional -out %s"):format(quote(keys.rsa.file), quote(pkcs1)))
    keys.rsa.pkcs1 = files.read(pkcs1)
    return keys
end

-- The name verifiers look the key up by.
function dkim_keys.record_name(key)
    return key.selector .. "._domainkey." .. dkim_keys.DOMAIN
end

return dkim_keys
