-- Throwaway certificates for the TLS specs, made with the openssl command
-- line in a fresh temporary directory (never in the repository):
--
--   local certificates = require("certificates")  -- spec/support is on LUA_PATH
--   local certs = certificates.create()
--   finally(function() certs:remove() end)
--   servers.aiosmtpd({ tls = { cert = certs.cert, key = certs.key }, tls_mode = "starttls" })
--   -- clients trust certs.ca; trusting certs.other_ca must fail verification
--
-- create() returns an object with
--   dir       the directory holding everything (mode 0700, from mktemp -d)
--   ca        PEM path of the trusted CA's certificate (EC P-256, v3,
--             basicConstraints critical CA:TRUE, keyUsage critical
--             keyCertSign cRLSign, subject "CN=luasmtp test CA")
--   other_ca  PEM path of an unrelated CA's certificate, made the same way
--             (subject "CN=luasmtp unrelated test CA"); it signed nothing
--   cert      PEM path of the server certificate, the leaf alone (no chain:
--             the CA signs it directly, so a client trusting `ca` needs
--             nothing more); subject "CN=localhost", subjectAltName
--             DNS:localhost and IP:127.0.0.1, basicConstraints critical
--             CA:FALSE, keyUsage critical digitalSignature,
--             extendedKeyUsage serverAuth, signed by `ca`
--   key       PEM path of the server certificate's private key (P-256, PKCS#8)
--   :remove() deletes the directory; it may be called again.
-- Every certificate is valid from a day ago for 30 days. Keys are EC P-256,
-- so the whole set takes a few tens of milliseconds. create() raises, with
-- openssl's output, when openssl is missing or any step fails, after
-- removing what it made.

local files = require("files")

local quote, write_file = files.quote, files.write

local certificates = {}

-- Runs a shell command; returns true or false for its exit status, and
-- everything it printed (standard output and error). Works the same on
-- every interpreter: Lua 5.1's pipe:close() gives no status.
local function run(command)
    local pipe = assert(io.popen("(" .. command .. ") 2>&1; echo \"exit status $?\""))
    local output = pipe:read("*a")
    pipe:close()
    local text, status = output:match("^(.-)exit status (%d+)\n?$")
    if not text then return false, output end
    return tonumber(status) == 0, text
end

-- openssl ca wants a configuration with a database; one shared by both CAs
-- is enough, since subjects need not be unique. The extensions come from
-- the sections named with -extensions, never from the requests.
local CONFIG = [[
[ca]
default_ca = ca_settings

[ca_settings]
database = DIR/index.txt
serial = DIR/serial
new_certs_dir = DIR/issued
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
email_in_dn = no

[policy_any]
commonName = supplied

[req]
distinguished_name = req_dn
prompt = no

[req_dn]
CN = unused

[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always

[server_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
]]

local DAY = 24 * 60 * 60

local Certificates = {}
Certificates.__index = Certificates

function Certificates:remove()
    if self.removed then return end
    self.removed = true
    run("rm -rf " .. quote(self.dir))
end

function certificates.create()
    local found = run("command -v openssl")
    if not found then
        error("certificates: the openssl command is not installed", 2)
    end
    local ok, output = run("mktemp -d /tmp/luasmtp_certificates.XXXXXX")
    if not ok then error("certificates: mktemp -d failed: " .. output, 2) end
    local dir = output:gsub("\n$", "")
    local self = setmetatable({
        dir = dir,
        ca = dir .. "/ca.pem",
        other_ca = dir .. "/other_ca.pem",
        cert = dir .. "/server.pem",
        key = dir .. "/server.key",
    }, Certificates)

    -- openssl ca takes dates as UTCTime, YYMMDDHHMMSSZ.
    local now = os.time()
    local from = os.date("!%y%m%d%H%M%SZ", now - DAY)
    local to = os.date("!%y%m%d%H%M%SZ", now - DAY + 30 * DAY)
    local config = dir .. "/openssl.cnf"
    local d = quote(dir)
    local c = quote(config)

    local function step(command)
        local done, printed = run(command)
        if not done then
            self:remove()
            error(("certificates: openssl failed: %s\n%s"):format(command, printed), 0)
        end
    end
    local function key(name)
        step(("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %s/%s.key")
            :format(d, name))
    end
    local function request(name, subject)
        step(("openssl req -new -config %s -key %s/%s.key -subj %s -out %s/%s.csr")
            :format(c, d, name, quote(subject), d, name))
    end
    local function sign(name, signer, extensions)
        local issuer = signer and ("-cert %s/%s.pem -keyfile %s/%s.key"):format(d, signer, d, signer)
            or ("-selfsign -keyfile %s/%s.key"):format(d, name)
        step(("openssl ca -batch -notext -config %s %s -in %s/%s.csr -out %s/%s.pem"
            .. " -startdate %s -enddate %s -extensions %s")
            :format(c, issuer, d, name, d, name, from, to, extensions))
    end

    write_file(config, (CONFIG:gsub("DIR", (dir:gsub("%%", "%%%%")))))
    write_file(dir .. "/index.txt", "")
    write_file(dir .. "/serial", "01\n")
    step("umask 077 && mkdir " .. quote(dir .. "/issued"))

    key("ca")
    request("ca", "/CN=luasmtp test CA")
    sign("ca", nil, "ca_ext")

    key("other_ca")
    request("other_ca", "/CN=luasmtp unrelated test CA")
    sign("other_ca", nil, "ca_ext")

    key("server")
    request("server", "/CN=localhost")
    sign("server", "ca", "server_ext")

    step(("openssl verify -CAfile %s %s"):format(quote(self.ca), quote(self.cert)))
    return self
end

return certificates
