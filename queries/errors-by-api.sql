-- title: Errors by API and error code
-- description: Which calls failed, how, and how often: reconnaissance shows up as many distinct failing APIs.
-- param limit integer = 100: most rows to return
SELECT eventSource, eventName, errorCode, count(*) AS errors, count(DISTINCT userIdentity.arn) AS principals,
       min(eventTime) AS firstSeen, max(eventTime) AS lastSeen
FROM events
WHERE errorCode IS NOT NULL
GROUP BY 1, 2, 3
ORDER BY errors DESC, eventName
LIMIT ${limit}
