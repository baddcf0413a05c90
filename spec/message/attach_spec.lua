-- smtp.attach: a file as an LTN12 source, read and encoded in Rust. base64
-- is compared byte for byte with LuaSocket's ltn12/mime chain over the same
-- file; quoted-printable is decoded back with LuaSocket's decoder and with
-- Python's.

local ltn12 = require("ltn12")
local mime = require("mime")
local smtp = require("socket.smtp")
local descriptors = require("descriptors")
local files = require("files")
local random_bytes = require("random_bytes")
local pump = require("pump")
local servers = require("smtp_servers")
local raised = require("raised")

local quote, read_file, write_file, capture = files.quote, files.read, files.write, files.capture

-- Debian's Python, as smtp_servers.lua uses it.
local PYTHON = "/usr/bin/python3"


local EVERY_BYTE = (function()
    local bytes = {}
    for byte = 0, 255 do bytes[#bytes + 1] = string.char(byte) end
    return table.concat(bytes)
end)()

local function luasocket_base64(path)
    return pump(ltn12.source.chain(ltn12.source.file(io.open(path, "rb")),
        ltn12.filter.chain(mime.encode("base64"), mime.wrap())))
end

local function luasocket_quoted_printable(path)
    return pump(ltn12.source.chain(ltn12.source.file(io.open(path, "rb")),
        ltn12.filter.chain(mime.encode("quoted-printable"), mime.wrap("quoted-printable"))))
end

local function luasocket_decoded(encoded)
    return pump(ltn12.source.chain(ltn12.source.string(encoded), mime.decode("quoted-printable")))
end

describe("smtp.attach", function()
    local dir, count = nil, 0

    setup(function()
        dir = files.temporary_directory("attach_spec")
    end)

    teardown(function()
        files.remove(dir)
    end)

    -- A new file in the spec's directory holding `bytes`; its path.
    local function file_with(bytes)
        count = count + 1
        local path = dir .. "/file" .. count
        write_file(path, bytes)
        return path
    end

    local function attached(path, encoding)
        local text, err = pump(smtp.attach({ path = path, encoding = encoding }))
        assert.is_nil(err)
        return text
    end

    describe("base64", function()
        local function assert_luasocket_bytes(bytes)
            local path = file_with(bytes)
            local mine, theirs = attached(path, "base64"), luasocket_base64(path)
            -- are.equal on strings this long prints too much on failure.
            assert(mine == theirs, ("%d bytes: %d characters, LuaSocket's %d"):format(#bytes, #mine, #theirs))
        end

        it("gives LuaSocket's chain's bytes for every size from 0 to 200", function()
            for size = 0, 200 do assert_luasocket_bytes(random_bytes(size, size + 1)) end
        end)

        it("ends with one CRLF, after a short line or a full one, and gives nothing for nothing", function()
            assert.are.equal("", attached(file_with(""), "base64"))
            assert.are.equal("eA==\r\n", attached(file_with("x"), "base64"))
            assert.are.equal(("eHh4"):rep(19) .. "\r\n", attached(file_with(("x"):rep(57)), "base64"))
            assert.are.equal(("eHh4"):rep(19) .. "\r\neA==\r\n", attached(file_with(("x"):rep(58)), "base64"))
        end)

        it("gives LuaSocket's bytes for 1000 bytes, 200 KB over several blocks, and every byte value", function()
            assert_luasocket_bytes(random_bytes(1000, 3))
            assert_luasocket_bytes(random_bytes(200000, 5))
            assert_luasocket_bytes(EVERY_BYTE:rep(5))
        end)

        it("is the default encoding", function()
            local path = file_with(random_bytes(300, 9))
            assert.are.equal(luasocket_base64(path), pump(smtp.attach({ path = path })))
        end)
    end)

    describe("quoted-printable", function()
        local LONG_LINE = ("word "):rep(100) .. "\r\n" .. ("x"):rep(500)
        local cases = {
            { "random binary", random_bytes(20000, 11) },
            { "every byte value", EVERY_BYTE },
            { "text with CRLF line breaks", "first line\r\nsecond line\r\n\r\nafter an empty line\r\n" },
            { "bare LF and bare CR", "unix\nline\nends\rold mac\r\r\n\n\r" },
            { "blanks before line breaks and at the end", "space \r\ntab\t\r\nboth \t\r\n  \r\nend \t" },
            { "blanks before a bare CR", "a \rb\t\r" },
            { "long lines", LONG_LINE },
            { "equals signs", ("a=b==c=\r\n="):rep(40) },
            { "a line of exactly 76 characters", ("y"):rep(76) .. "\r\n" .. ("z"):rep(75) },
            { "nothing", "" },
        }

        local function assert_well_formed(encoded)
            assert.is_nil(encoded:gsub("\r\n", ""):find("[\r\n]"), "a bare CR or LF")
            assert.is_nil(encoded:find("[^\t\r\n -~]"), "a byte that is not printable ASCII")
            local lines = 0
            for line in encoded:gmatch("(.-)\r\n") do
                lines = lines + 1
                assert(#line <= 76, ("line %d has %d characters: %s"):format(lines, #line, line))
                assert.is_nil(line:find("[ \t]$"), "a blank at the end of a line")
            end
            assert(encoded == "" or encoded:sub(-2) == "\r\n", "the last line ends with CRLF")
        end

        for _, case in ipairs(cases) do
            local what, bytes = case[1], case[2]
            it("decodes back to exactly the file with LuaSocket's decoder: " .. what, function()
                local encoded = attached(file_with(bytes), "quoted-printable")
                assert_well_formed(encoded)
                assert(luasocket_decoded(encoded) == bytes, "decoded differently: " .. encoded)
            end)
        end

        it("decodes back to exactly the file with Python's quopri and email decoders", function()
            local bytes = table.concat({ cases[1][2], cases[3][2], cases[4][2], cases[5][2], LONG_LINE })
            local path = file_with(bytes)
            write_file(path .. ".qp", attached(path, "quoted-printable"))
            local script = [[
import email, quopri, sys
path = sys.argv[1]
encoded = open(path + ".qp", "rb").read()
open(path + ".quopri", "wb").write(quopri.decodestring(encoded))
message = email.message_from_bytes(b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + encoded)
open(path + ".email", "wb").write(message.get_payload(decode=True))
]]
            local output = capture(("%s -c %s %s 2>&1"):format(PYTHON, quote(script), quote(path)))
            assert.are.equal("", output)
            assert(read_file(path .. ".quopri") == bytes, "quopri decoded differently")
            assert(read_file(path .. ".email") == bytes, "email decoded differently")
        end)

        it("gives LuaSocket's qp and qpwrap bytes for text", function()
            for _, index in ipairs({ 1, 3, 4, 6, 7, 8, 10 }) do
                local path = file_with(cases[index][2])
                assert.are.equal(luasocket_quoted_printable(path), attached(path, "quoted-printable"))
            end
        end)

        -- Both decode to the same bytes.
        it("differs from LuaSocket's only in the last bytes: a blank there, or a full last line", function()
            local path = file_with("a b")
            assert.are.equal("a b=\r\n", attached(path, "quoted-printable"))
            assert.are.equal("a=20b=\r\n", luasocket_quoted_printable(path))
            path = file_with(("x"):rep(70) .. " ")
            assert.are.equal(("x"):rep(70) .. "=20=\r\n", attached(path, "quoted-printable"))
            assert.are.equal(("x"):rep(70) .. "=20=\r\n=\r\n", luasocket_quoted_printable(path))
        end)
    end)

    describe("8bit", function()
        it("gives the file's bytes as they are", function()
            for _, bytes in ipairs({ "", "x", EVERY_BYTE, random_bytes(200000, 13) }) do
                assert(attached(file_with(bytes), "8bit") == bytes, #bytes .. " bytes")
            end
        end)
    end)

    describe("as the body of a part", function()
        it("puts the encoded file between the part's headers and the next boundary", function()
            local image = file_with(random_bytes(5000, 17))
            local text = file_with("Dear reader,\r\n\r\nsee the attached image.   \r\n")
            local message = pump(smtp.message({
                headers = { subject = "attached" },
                body = {
                    {
                        headers = { ["content-transfer-encoding"] = "quoted-printable" },
                        body = smtp.attach({ path = text, encoding = "quoted-printable" }),
                    },
                    {
                        headers = {
                            ["content-type"] = 'image/png; name="image.png"',
                            ["content-disposition"] = 'attachment; filename="image.png"',
                            ["content-transfer-encoding"] = "base64",
                        },
                        body = smtp.attach({ path = image }),
                    },
                },
            }))
            local qp = "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                .. "Dear reader,\r\n\r\nsee the attached image.  =20\r\n\r\n--"
            assert.truthy(message:find(qp, 1, true), "the text part")
            local base64 = 'Content-Disposition: attachment; filename="image.png"\r\n\r\n'
                .. luasocket_base64(image) .. "\r\n--"
            assert.truthy(message:find(base64, 1, true), "the image part")
        end)

        it("ends the message source with the file's error", function()
            local missing = dir .. "/missing"
            local text, err = pump(smtp.message({ body = { { body = smtp.attach({ path = missing }) } } }))
            assert.are.equal(missing .. ": No such file or directory", err)
            assert.truthy(text:find("Content-Type: text/plain", 1, true))
        end)
    end)

    describe("errors", function()
        it("a missing file: the first pull gives io.open's message, as LuaSocket's file source does, "
            .. "and so does every later one", function()
            local missing = dir .. "/missing"
            local _, expected = ltn12.source.file(io.open(missing, "rb"))()
            assert.are.equal(missing .. ": No such file or directory", expected)
            local source = smtp.attach({ path = missing })
            assert.are.same({ nil, expected }, { source() })
            assert.are.same({ nil, expected }, { source() })
        end)

        it("the file is opened at the first pull, not by attach", function()
            local path = dir .. "/later"
            local source = smtp.attach({ path = path, encoding = "8bit" })
            write_file(path, "written after attach")
            assert.are.equal("written after attach", source())
        end)

        -- LuaSocket's file source ends without an error there: its body
        -- would be empty.
        it("a directory: a read error naming the path, at every pull", function()
            local source = smtp.attach({ path = dir, encoding = "quoted-printable" })
            assert.are.same({ nil, dir .. ": Is a directory" }, { source() })
            assert.are.same({ nil, dir .. ": Is a directory" }, { source() })
        end)

        it("after the end, every pull gives nil alone", function()
            local source = smtp.attach({ path = file_with("abc") })
            assert.are.equal("YWJj\r\n", source())
            for _ = 1, 3 do
                assert.are.equal(1, select("#", source()))
                assert.is_nil(source())
            end
        end)

        it("closes the file at the end, at an error and when the source is collected", function()
            local before = descriptors.settled()
            local big = file_with(random_bytes(100000, 19))
            local source = smtp.attach({ path = big, encoding = "8bit" })
            assert.truthy(source())
            assert.are.equal(before + 1, descriptors.count(), "open while being read")
            pump(source)
            assert.are.equal(before, descriptors.count(), "closed at the end")

            source = smtp.attach({ path = dir })
            source()
            assert.are.equal(before, descriptors.count(), "closed at the error")

            source = smtp.attach({ path = big })
            assert.truthy(source())
            source = nil -- luacheck: ignore
            assert.are.equal(before, descriptors.settled(), "closed when collected")
        end)
    end)

    describe("misuse raises an error that names the field, at the caller's line", function()
        -- Each call stores its result: a tail call would drop the caller's
        -- line from the error.
        local cases = {
            { function() local s = smtp.attach("file.pdf") return s end,
                "bad argument #1 to 'attach' (table expected, got string)" },
            { function() local s = smtp.attach() return s end,
                "bad argument #1 to 'attach' (table expected, got nil)" },
            { function() local s = smtp.attach({}) return s end,
                "bad field 'path' (string expected, got nil)" },
            { function() local s = smtp.attach({ path = 42 }) return s end,
                "bad field 'path' (string expected, got number)" },
            { function() local s = smtp.attach({ path = "f", encoding = "b64" }) return s end,
                'bad field \'encoding\' ("base64", "quoted-printable" or "8bit" expected, got "b64")' },
            { function() local s = smtp.attach({ path = "f", encoding = "BASE64" }) return s end,
                'bad field \'encoding\' ("base64", "quoted-printable" or "8bit" expected, got "BASE64")' },
            { function() local s = smtp.attach({ path = "f", encoding = true }) return s end,
                'bad field \'encoding\' ("base64", "quoted-printable" or "8bit" expected, got boolean)' },
            { function() local s = smtp.attach({ path = "\255.pdf" }) return s end,
                "bad field 'path' (UTF-8 expected)" },
        }
        for _, case in ipairs(cases) do
            local call, message = case[1], case[2]
            it(message, function()
                local err = raised(call)
                assert.are.equal("string", type(err))
                assert.truthy(err:find(message, 1, true), err)
                assert.truthy(err:find("attach_spec.lua:%d+: "), "points at the caller: " .. err)
            end)
        end
    end)

    describe("sent with smtp.send", function()
        local server
        before_each(function() server = servers.aiosmtpd() end)

        local function send(body, encoding)
            return smtp.send({
                from = "<alice@example.com>",
                rcpt = "<bob@example.com>",
                server = server.host,
                port = server.port,
                source = smtp.message({
                    headers = { subject = "attachment" },
                    body = { { headers = { ["content-transfer-encoding"] = encoding }, body = body } },
                }),
            })
        end

        it("delivers a base64 file over several blocks", function()
            local path = file_with(random_bytes(150000, 23))
            assert.are.same({ 1 }, { send(smtp.attach({ path = path }), "base64") })
            local received = server:received()
            assert.are.equal(1, #received)
            assert.truthy(received[1].data:find("\r\n\r\n" .. luasocket_base64(path) .. "\r\n--", 1, true))
        end)

        it("delivers quoted-printable lines that start with a dot unchanged", function()
            local path = file_with(".first\r\n..second\r\n.\r\nlast")
            assert.are.same({ 1 }, { send(smtp.attach({ path = path, encoding = "quoted-printable" }),
                "quoted-printable") })
            local expected = "\r\n\r\n.first\r\n..second\r\n.\r\nlast=\r\n\r\n--"
            assert.truthy(server:received()[1].data:find(expected, 1, true))
        end)
    end)
end)
