-- title: Everything one principal did
-- description: Every call by a principal (ARN, user name or part of either), oldest first.
-- param principal: principal ARN or user name, or a part of it (matched with LIKE '%...%')
-- param limit integer = 1000: most rows to return
SELECT eventTime, userIdentity.arn AS principal, userIdentity.accessKeyId AS accessKeyId, eventSource, eventName,
       awsRegion, sourceIPAddress, userAgent, errorCode, recipientAccountId, eventID
FROM events
WHERE userIdentity.arn LIKE concat('%', ${principal}, '%')
   OR userIdentity.userName LIKE concat('%', ${principal}, '%')
   OR userIdentity.sessionContext.sessionIssuer.arn LIKE concat('%', ${principal}, '%')
ORDER BY eventTime
LIMIT ${limit}
