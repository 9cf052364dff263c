-- wrk script: POST inbound with a fresh provider_message_id per request, spread over many users.
-- usage: wrk -t1 -c64 -d20s --latency -s bench/inbound.lua URL/v1/orgs/ORG/channels/CH/inbound
-- with OMNISIM_TOKEN set to the org token and OMNISIM_USERS to the number of distinct addresses.
local token = os.getenv("OMNISIM_TOKEN")
local users = tonumber(os.getenv("OMNISIM_USERS") or "10000")
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token

function request()
  counter = counter + 1
  local user = counter % users
  local body = string.format(
    '{"address":"+1555%07d","provider_message_id":"wrk-%d-%d","content":{"type":"text","text":"Any update on my order?"}}',
    user, thread_id, counter)
  return wrk.format(nil, nil, nil, body)
end
