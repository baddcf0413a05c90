-- make demo: runs the manual's attachment example (examples/manual_attachment.lua)
-- unmodified, from the examples directory, where its image.png is.
--
-- smtp.send is not part of this release yet, so a stand-in prints what the
-- example hands it: the envelope, then the message smtp.message produced.

local smtp = require("socket.smtp")
local ltn12 = require("ltn12")

function smtp.send(mailt)
    local rcpt = type(mailt.rcpt) == "table" and table.concat(mailt.rcpt, ", ") or mailt.rcpt
    io.write("-- envelope: from ", mailt.from, " to ", rcpt, "\n")
    io.write("-- message, as ", smtp._VERSION, " generates it:\n")
    return ltn12.pump.all(mailt.source, ltn12.sink.file(io.stdout))
end

dofile("manual_attachment.lua")
