-- The error a call raised, which must raise: socket.try and newtry throw
-- their error wrapped as { err }, which comes back unwrapped.
--
--   local raised = require("raised")
--   assert.are.equal("closed", raised(session.send, session, mailt))
return function(f, ...)
    local ok, err = pcall(f, ...)
    assert(not ok, "expected the call to raise an error")
    if type(err) == "table" then return err[1] end
    return err
end
