-- title: S3 bucket policy, ACL and public-access changes
-- description: Changes to bucket policies, ACLs, Block Public Access (bucket and account), replication, logging and encryption: how data gets exposed.
-- param limit integer = 1000: most rows to return
SELECT eventTime, eventName, requestParameters ->> 'bucketName' AS bucket,
       coalesce(userIdentity.arn, userIdentity.principalId) AS principal, sourceIPAddress, errorCode,
       recipientAccountId, requestParameters, eventID
FROM events
WHERE eventName IN ('PutBucketPolicy', 'DeleteBucketPolicy', 'PutBucketAcl', 'PutObjectAcl',
                    'PutBucketPublicAccessBlock', 'DeleteBucketPublicAccessBlock',
                    'PutAccountPublicAccessBlock', 'DeleteAccountPublicAccessBlock',
                    'PutBucketReplication', 'DeleteBucketReplication', 'PutBucketLogging',
                    'PutBucketEncryption', 'DeleteBucketEncryption', 'PutBucketOwnershipControls')
ORDER BY eventTime
LIMIT ${limit}
