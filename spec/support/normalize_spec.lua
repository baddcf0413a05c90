-- The like_luasocket specs are only as good as their normaliser: it must hide
-- what may differ (boundaries, header order, time, default mailer) and
-- nothing else.

local normalizer = require("normalize")
normalizer.default_mailer("default-mailer 1.0")
local normalize = normalizer.normalize

local function message(headers, boundary, body)
    return table.concat(headers, "\r\n") .. "\r\n\r\n"
        .. "\r\n--" .. boundary .. "\r\nContent-Type: text/plain\r\n\r\n" .. body
        .. "\r\n--" .. boundary .. "--\r\n\r\n"
end

local HEADERS = {
    'Content-Type: multipart/mixed; boundary="B1"',
    "Date: Tue, 24 Nov 2026 10:00:00 -0000",
    "X-Mailer: default-mailer 1.0",
}

describe("the differential normaliser", function()
    it("hides boundaries, header order, the time and a default mailer", function()
        local other = {
            "X-Mailer: default-mailer 1.0",
            'Content-Type: multipart/mixed; boundary="other-boundary"',
            "Date: Wed, 25 Nov 2026 11:11:11 -0000",
        }
        assert.are.equal(normalize(message(HEADERS, "B1", "text")),
            normalize(message(other, "other-boundary", "text"):gsub("B1", "other-boundary")))
    end)

    it("keeps a difference in a body", function()
        assert.are_not.equal(normalize(message(HEADERS, "B1", "text")), normalize(message(HEADERS, "B1", "text ")))
    end)

    it("keeps a difference in a header value, the zone and a given mailer", function()
        local base = normalize(message(HEADERS, "B1", "x"))
        local changed = {
            { HEADERS[1], "Date: Tue, 24 Nov 2026 10:00:00 +0100", HEADERS[3] },
            { HEADERS[1], HEADERS[2], "X-Mailer: something else" },
            { HEADERS[1], HEADERS[2], HEADERS[3], "Subject: extra" },
            { 'Content-Type: multipart/alternative; boundary="B1"', HEADERS[2], HEADERS[3] },
        }
        for _, headers in ipairs(changed) do
            assert.are_not.equal(base, normalize(message(headers, "B1", "x")))
        end
    end)

    it("keeps a difference in framing", function()
        local framed = message(HEADERS, "B1", "x")
        assert.are_not.equal(normalize(framed), normalize(framed .. "\r\n"))
        assert.are_not.equal(normalize(framed), normalize(framed:gsub("\r\n\r\n\r\n%-%-B1\r\n", "\r\n\r\n--B1\r\n", 1)))
    end)
end)
