-- title: Console sign-ins with MFA status and source IP
-- description: Every ConsoleLogin: who, from where, with or without MFA, success or failure (root sign-ins included).
-- param limit integer = 1000: most rows to return
SELECT eventTime, userIdentity.type AS identityType,
       coalesce(userIdentity.arn, userIdentity.userName, userIdentity.principalId) AS principal,
       sourceIPAddress, userAgent,
       responseElements ->> 'ConsoleLogin' AS result,
       additionalEventData ->> 'MFAUsed' AS mfaUsed,
       errorMessage, recipientAccountId, eventID
FROM events
WHERE eventName = 'ConsoleLogin'
ORDER BY eventTime
LIMIT ${limit}
