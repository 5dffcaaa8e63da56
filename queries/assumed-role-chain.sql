-- title: Assumed-role chain from a principal
-- description: The roles a principal (ARN, or part of one) assumed, the session keys it got, and what each of those sessions then did: follow stolen credentials one hop.
-- param principal: principal ARN or a part of it (matched with LIKE '%...%')
-- param limit integer = 1000: most rows to return
WITH hops AS (
  SELECT eventTime AS assumedAt, userIdentity.arn AS assumedBy,
         requestParameters ->> 'roleArn' AS roleArn,
         json_get_str(responseElements, 'credentials', 'accessKeyId') AS sessionKey
  FROM events
  WHERE eventName IN ('AssumeRole', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity')
    AND errorCode IS NULL
    AND userIdentity.arn LIKE concat('%', ${principal}, '%')
)
SELECT h.assumedAt, h.assumedBy, h.roleArn, h.sessionKey,
       e.eventTime, e.eventSource, e.eventName, e.sourceIPAddress, e.errorCode, e.eventID
FROM hops h
LEFT JOIN events e ON e.userIdentity.accessKeyId = h.sessionKey
ORDER BY h.assumedAt, e.eventTime
LIMIT ${limit}
