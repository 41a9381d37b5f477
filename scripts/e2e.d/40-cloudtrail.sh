# Story: CloudTrail tells who did what as root (AWS's "Track privileged
# tasks in AWS CloudTrail"): find AssumeRoot in the management account, take
# the key it issued, look it up in the member account. Then a trail delivers
# log files into S3. Sourced by e2e.sh after the locked-bucket story (UK is
# its S3UnlockBucketPolicy root session, RK/RS/RT the member's role session).
echo "story: CloudTrail records of root sessions"
expect_error "a root session outside its task" AccessDenied -- as "$UK" "$US" "$UT" s3api create-bucket --bucket "e2e-refused-$MEMBER"
ASSUMED=$(aws_ cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=AssumeRoot --output json)
expect_eq "lookup-events finds the AssumeRoot calls" "$(jq '.Events | length >= 2' <<<"$ASSUMED")" "true"
UNLOCK=$(jq -c --arg k "$UK" '[.Events[].CloudTrailEvent | fromjson | select(.responseElements.credentials.accessKeyId == $k)] | .[0]' <<<"$ASSUMED")
expect_eq "AssumeRoot names caller, target and task" "$(jq -r '[.userIdentity.arn, .requestParameters.targetPrincipal, .requestParameters.taskPolicyArn.arn] | join(" ")' <<<"$UNLOCK")" \
  "arn:aws:iam::111111111111:user/admin $MEMBER arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"
expect_eq "AssumeRoot's record holds no secret" "$(jq -r '.responseElements.credentials | has("sessionToken") or has("secretAccessKey")' <<<"$UNLOCK")" "false"
ROOTED=$(as "$RK" "$RS" "$RT" cloudtrail lookup-events --lookup-attributes "AttributeKey=AccessKeyId,AttributeValue=$UK" --output json)
DELETED=$(jq -c '[.Events[] | select(.EventName == "DeleteBucketPolicy") | .CloudTrailEvent | fromjson] | .[0]' <<<"$ROOTED")
expect_eq "the member sees the root session's DeleteBucketPolicy" "$(jq -r '[.userIdentity.type, .userIdentity.sessionContext.assumedRoot, .requestParameters.bucketName] | join(" ")' <<<"$DELETED")" \
  "Root true $BUCKET"
expect_eq "and its refused call" "$(jq -r '[.Events[] | .CloudTrailEvent | fromjson | select(.eventName == "CreateBucket") | .errorCode] | .[0]' <<<"$ROOTED")" "AccessDenied"
expect_eq "root events show Username root" "$(jq -r '[.Events[].Username] | unique | join(",")' <<<"$ROOTED")" "root"

echo "story: a trail delivers log files"
TRAIL_BUCKET=e2e-trail-111111111111
aws_ s3api create-bucket --bucket "$TRAIL_BUCKET" >/dev/null
expect_error "a bucket CloudTrail may not write to" InsufficientS3BucketPolicyException -- aws_ cloudtrail create-trail --name main --s3-bucket-name "$TRAIL_BUCKET"
cat >"$WORK/trail-policy.json" <<POLICY
{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"s3:PutObject",
 "Resource":"arn:aws:s3:::$TRAIL_BUCKET/AWSLogs/111111111111/*","Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}
POLICY
aws_ s3api put-bucket-policy --bucket "$TRAIL_BUCKET" --policy "file://$WORK/trail-policy.json"
expect_eq "create-trail" "$(aws_ cloudtrail create-trail --name main --s3-bucket-name "$TRAIL_BUCKET" --query TrailARN --output text)" \
  "arn:aws:cloudtrail:us-east-1:111111111111:trail/main"
aws_ cloudtrail start-logging --name main
expect_eq "the trail is logging" "$(aws_ cloudtrail get-trail-status --name main --query IsLogging --output text)" "True"
aws_ iam get-account-summary >/dev/null
LOGKEY=
for _ in $(seq 50); do
  LOGKEY=$(aws_ s3api list-objects-v2 --bucket "$TRAIL_BUCKET" --prefix AWSLogs/111111111111/CloudTrail/us-east-1/ --query 'Contents[0].Key' --output text)
  [ "$LOGKEY" != None ] && [ -n "$LOGKEY" ] && break
  sleep 0.2
done
expect_eq "a log file at AWS's key layout" "$(grep -cE '^AWSLogs/111111111111/CloudTrail/us-east-1/[0-9]{4}/[0-9]{2}/[0-9]{2}/111111111111_CloudTrail_us-east-1_[0-9]{8}T[0-9]{4}Z_[A-Za-z0-9]{16}\.json\.gz$' <<<"$LOGKEY")" "1"
aws_ s3api get-object --bucket "$TRAIL_BUCKET" --key "$LOGKEY" "$WORK/log.json.gz" >/dev/null
expect_eq "the log file is gzipped CloudTrail records" "$(gunzip -c "$WORK/log.json.gz" | jq -r '[.Records[] | .eventVersion + " " + .recipientAccountId] | unique | join(",")')" \
  "1.11 111111111111"
# Files are written every delivery interval: StartLogging is in one of them.
: >"$WORK/names.txt"
for key in $(aws_ s3api list-objects-v2 --bucket "$TRAIL_BUCKET" --prefix AWSLogs/111111111111/ --query 'Contents[].Key' --output text); do
  aws_ s3api get-object --bucket "$TRAIL_BUCKET" --key "$key" "$WORK/log.json.gz" >/dev/null
  gunzip -c "$WORK/log.json.gz" | jq -r '.Records[].eventName' >>"$WORK/names.txt"
done
expect_eq "the trail's files have its StartLogging" "$(grep -c '^StartLogging$' "$WORK/names.txt")" "1"
