-- title: Everything from one source IP
-- description: Every call from a source address, with the principals that used it: pivot from an indicator to the identities behind it.
-- param ip: the sourceIPAddress (an address, or an AWS service name)
-- param limit integer = 1000: most rows to return
SELECT eventTime, coalesce(userIdentity.arn, userIdentity.principalId, userIdentity.type) AS principal,
       userIdentity.accessKeyId AS accessKeyId, eventSource, eventName, awsRegion, errorCode, userAgent,
       recipientAccountId, eventID
FROM events
WHERE sourceIPAddress = ${ip}
ORDER BY eventTime
LIMIT ${limit}
