-- title: Everything one access key did
-- description: Every call made with an access key (AKIA... long-term or ASIA... session key), oldest first, with where it came from and whether it failed.
-- param key: the access key id
-- param limit integer = 1000: most rows to return
SELECT eventTime, eventSource, eventName, awsRegion, sourceIPAddress, userAgent, errorCode,
       userIdentity.arn AS principal, recipientAccountId, requestParameters, eventID, objectKey
FROM events
WHERE userIdentity.accessKeyId = ${key}
ORDER BY eventTime
LIMIT ${limit}
