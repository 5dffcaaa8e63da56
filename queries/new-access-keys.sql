-- title: Access keys and login profiles created
-- description: CreateAccessKey, CreateLoginProfile and UpdateLoginProfile, with who did it for whom: persistence after a compromise.
SELECT eventTime, eventName, coalesce(userIdentity.arn, userIdentity.principalId) AS actor,
       coalesce(requestParameters ->> 'userName', userIdentity.userName) AS forUser,
       json_get_str(responseElements, 'accessKey', 'accessKeyId') AS newKey,
       sourceIPAddress, errorCode, recipientAccountId, eventID
FROM events
WHERE eventName IN ('CreateAccessKey', 'CreateLoginProfile', 'UpdateLoginProfile')
ORDER BY eventTime
