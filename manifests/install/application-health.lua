-- Health of an argoproj.io/Application as its parent (app of apps) sees it.
-- Installed as resource.customizations.health.argoproj.io_Application in
-- argocd-cm: Argo CD has no built-in health for Applications since 1.8, and
-- without one a sync wave of child Applications does not wait for the wave
-- before it (README "Install"). Argo CD runs it in gopher-lua (Lua 5.1) with
-- the base and table libraries only (no string, no math): keep to those.
--
-- A child reads Healthy only when its status is current and its sync done:
-- the status it carries may predate what the parent just applied (the stale
-- verdict of argo-cd#27917), so anything that says "not settled yet" reads
-- Progressing, and a sync that failed for good reads Degraded.

local hs = { status = "Progressing", message = "" }

-- Go writes status with omitempty while spec keeps what was applied: absent,
-- false, "", 0 and empty tables are the same value here.
local function isEmpty(value)
  if value == nil or value == false or value == "" or value == 0 then
    return true
  end
  if type(value) == "table" then
    for _, item in pairs(value) do
      if not isEmpty(item) then
        return false
      end
    end
    return true
  end
  return false
end

local function sameValue(a, b)
  if isEmpty(a) and isEmpty(b) then
    return true
  end
  if type(a) ~= type(b) then
    return false
  end
  if type(a) ~= "table" then
    return a == b
  end
  for key, item in pairs(a) do
    if not sameValue(item, b[key]) then
      return false
    end
  end
  for key, item in pairs(b) do
    if a[key] == nil and not isEmpty(item) then
      return false
    end
  end
  return true
end

-- The controller's own staleness test (needRefreshAppStatus): its last
-- comparison was made against other sources than the spec now names, so
-- status.sync and status.health describe the child before the parent's change.
-- A source hydrator derives the compared source from the spec in Go: never
-- read that as stale, or the child would wait forever.
local function comparedToOlderSpec(spec, comparedTo)
  if spec == nil or not isEmpty(spec.sourceHydrator) then
    return false
  end
  if comparedTo == nil then
    return true
  end
  if not isEmpty(spec.sources) then
    return not sameValue(spec.sources, comparedTo.sources)
  end
  return not sameValue(spec.source, comparedTo.source)
end

local function progressing(message)
  hs.status = "Progressing"
  hs.message = message
  return hs
end


-- A refresh asked for (a Git webhook, `argocd app get --refresh`): the
-- controller is about to compare the child again, so its status is old.
local annotations = obj.metadata and obj.metadata.annotations
if annotations ~= nil and annotations["argocd.argoproj.io/refresh"] ~= nil then
  return progressing("a refresh is requested and has not been done")
end

local status = obj.status
if status == nil or status.health == nil or status.health.status == nil or status.sync == nil or status.sync.status == nil then
  return progressing("waiting for the first comparison")
end

local operationState = status.operationState
local phase = operationState and operationState.phase
-- While a sync runs (and while a failed one waits for its retry), health
-- swings through its rollout: wait rather than pass or fail on a moment.
if phase == "Running" or phase == "Terminating" then
  return progressing("sync " .. phase)
end

-- A sync asked for (by auto-sync or a user) stays in `operation` until it
-- completes; before it starts, operationState still shows the previous one.
if obj.operation ~= nil then
  return progressing("a sync is requested and has not finished")
end

if comparedToOlderSpec(obj.spec, status.sync.comparedTo) then
  return progressing("the status was compared against an older spec")
end

-- RFC 3339 times in UTC ("2026-01-02T03:04:05Z") order as strings. A sync that
-- finished after the last comparison left a status that does not show it.
local finishedAt = operationState and operationState.finishedAt
if finishedAt ~= nil and (status.reconciledAt == nil or status.reconciledAt < finishedAt) then
  return progressing("the status predates the last sync")
end

local message = status.health.message or ""

if status.health.status == "Degraded" then
  hs.status = "Degraded"
  hs.message = message
  return hs
end

if status.sync.status ~= "Synced" then
  if phase == "Failed" or phase == "Error" then
    hs.status = "Degraded"
    hs.message = "sync " .. phase .. ": " .. (operationState.message or "")
    return hs
  end
  return progressing("sync status " .. status.sync.status .. ", waiting for a sync")
end

hs.status = status.health.status
hs.message = message
return hs
