-- title: First use of each region
-- description: When each account first saw activity in each region, and by whom: attackers often run resources in regions nobody watches.
SELECT recipientAccountId AS account, awsRegion AS region, min(eventTime) AS firstSeen, max(eventTime) AS lastSeen,
       count(*) AS events, count(DISTINCT userIdentity.arn) AS principals
FROM events
GROUP BY 1, 2
ORDER BY firstSeen DESC, account, region
