-- title: IAM changes
-- description: Every write to IAM (users, roles, keys, policies, login profiles, MFA, identity providers), who made it and what it targeted.
-- param limit integer = 1000: most rows to return
SELECT eventTime, eventName,
       coalesce(userIdentity.arn, userIdentity.principalId) AS principal,
       sourceIPAddress,
       coalesce(requestParameters ->> 'userName', requestParameters ->> 'roleName', requestParameters ->> 'groupName') AS target,
       requestParameters ->> 'policyArn' AS policyArn,
       errorCode, recipientAccountId, requestParameters, eventID
FROM events
WHERE eventSource = 'iam.amazonaws.com' AND (readOnly = false OR readOnly IS NULL)
  AND eventName NOT LIKE 'Get%' AND eventName NOT LIKE 'List%'
ORDER BY eventTime
LIMIT ${limit}
