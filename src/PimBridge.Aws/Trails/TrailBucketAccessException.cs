namespace PimBridge.Aws.Trails;

/// <summary>S3 refused to list or read the trail: PimBridge's credentials or the bucket policy lack a permission.</summary>
public sealed class TrailBucketAccessException(string bucket, string keyOrPrefix, string operation, Exception inner)
    : Exception(
        $"{operation} on s3://{bucket}/{keyOrPrefix} was denied ({inner.Message}). PimBridge's credentials need s3:ListBucket on arn:aws:s3:::{bucket} "
        + $"and s3:GetObject on arn:aws:s3:::{bucket}/*, allowed by the bucket policy too, and kms:Decrypt on the trail's KMS key when its files are SSE-KMS encrypted.",
        inner)
{
    public string Bucket { get; } = bucket;
    public string KeyOrPrefix { get; } = keyOrPrefix;
    public string Operation { get; } = operation;
}
