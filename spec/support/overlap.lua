-- Whether sends overlap: one alone, then n at once, each to its own
-- recipient, for the specs of yielding sockets and event loops.
--
--   local one, all, addresses = overlap.measure{ run = run, send_to = send_to,
--       n = 10, clock = socket.gettime, factor = 3 }
--   overlap.assert_arrived(server:received(), addresses)
--
-- run(functions) runs the functions at once and returns what each returned,
-- packed ({ n =, ... }), in order; send_to(address) gives a function that
-- sends one message to that address and returns what smtp.send returns.
-- measure checks that every send returned 1 and that the n took less than
-- `factor` times one alone (one after the other they would take n times as
-- long); it returns both durations and every address sent to.

local assert = require("luassert")

local overlap = {}

function overlap.measure(options)
    local run, send_to, n, clock = options.run, options.send_to, options.n, options.clock
    local start = clock()
    assert.are.same({ n = 1, 1 }, run({ send_to("<alone@example.com>") })[1])
    local one = clock() - start

    local functions, addresses = {}, { "alone@example.com" }
    for i = 1, n do
        functions[i] = send_to("<user" .. i .. "@example.com>")
        addresses[i + 1] = "user" .. i .. "@example.com"
    end
    start = clock()
    local results = run(functions)
    local all = clock() - start
    for i = 1, n do assert.are.same({ n = 1, 1 }, results[i], "send " .. i) end
    assert.is_true(all < options.factor * one, ("one send %.3f s, %d at once %.3f s"):format(one, n, all))
    return one, all, addresses
end

-- Each address got exactly one of `records` (a server's :received()), and
-- nothing else arrived.
function overlap.assert_arrived(records, addresses)
    local arrived, expected = {}, {}
    for i, record in ipairs(records) do
        assert.are.equal(1, #record.rcpt_tos)
        arrived[i] = record.rcpt_tos[1]
    end
    for i, address in ipairs(addresses) do expected[i] = address end
    table.sort(arrived)
    table.sort(expected)
    assert.are.same(expected, arrived)
end

return overlap
