-- title: Top callers by API
-- description: Which principal called which API how often, from how many source IPs: the baseline to spot what stands out.
-- param limit integer = 50: most rows to return
SELECT coalesce(userIdentity.arn, userIdentity.invokedBy, userIdentity.principalId, userIdentity.type) AS principal,
       eventSource, eventName, count(*) AS calls,
       count(DISTINCT sourceIPAddress) AS sourceIPs,
       sum(CASE WHEN errorCode IS NULL THEN 0 ELSE 1 END) AS errors
FROM events
GROUP BY 1, 2, 3
ORDER BY calls DESC, principal, eventName
LIMIT ${limit}
