-- wrk script: each request reads a different thread (ids 1..500 in turn), so the thread cache
-- (256 threads) misses and every page is loaded from the database.
local id = 0
request = function()
  id = (id % 500) + 1
  return wrk.format("GET", "/t/" .. id)
end
