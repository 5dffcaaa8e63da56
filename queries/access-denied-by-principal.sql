-- title: Access denied, by principal
-- description: Principals with the most AccessDenied / UnauthorizedOperation errors, with the APIs they were refused and the source IPs: a sign of enumeration with stolen credentials.
-- param limit integer = 50: most principals to return
SELECT coalesce(userIdentity.arn, userIdentity.principalId, userIdentity.type) AS principal,
       count(*) AS denied,
       count(DISTINCT eventName) AS distinctApis,
       array_to_string(array_agg(DISTINCT eventName), ', ') AS apis,
       array_to_string(array_agg(DISTINCT sourceIPAddress), ', ') AS sourceIPs,
       min(eventTime) AS firstSeen, max(eventTime) AS lastSeen
FROM events
WHERE errorCode LIKE '%AccessDenied%' OR errorCode LIKE '%Unauthorized%' OR errorCode = 'Forbidden'
GROUP BY 1
ORDER BY denied DESC, principal
LIMIT ${limit}
