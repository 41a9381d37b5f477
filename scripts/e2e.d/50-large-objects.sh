# Story (d): what other projects do with buckets once they are theirs:
# `aws s3 cp` of a 20 MB file (a multipart upload, ranged downloads), up and
# back byte for byte, surviving a kill -9; `aws s3 ls`; `aws s3 rm
# --recursive` (batched DeleteObjects). Sourced by e2e.sh.
echo "story: large objects with aws s3"
BIG=e2e-large-objects
aws_ s3api create-bucket --bucket "$BIG" >/dev/null
head -c $((20 * 1024 * 1024)) /dev/urandom >"$WORK/big.bin"
aws_ s3 cp "$WORK/big.bin" "s3://$BIG/data/big.bin" >/dev/null
ETAG=$(aws_ s3api head-object --bucket "$BIG" --key data/big.bin --query ETag --output text)
expect_eq "a 20 MB cp is a multipart upload" "$(sed -E 's/.*-([0-9]+)"?$/\1/' <<<"$ETAG")" "3"
aws_ s3 cp "s3://$BIG/data/big.bin" "$WORK/big.back" >/dev/null
expect_eq "the 20 MB file comes back with the same bytes" "$(cmp -s "$WORK/big.bin" "$WORK/big.back" && echo same)" "same"

echo "kill -9 after an acknowledged upload"
kill -9 "$PID"
wait "$PID" 2>/dev/null || true
PID=
start
rm -f "$WORK/big.back"
aws_ s3 cp "s3://$BIG/data/big.bin" "$WORK/big.back" >/dev/null
expect_eq "the upload survives kill -9" "$(cmp -s "$WORK/big.bin" "$WORK/big.back" && echo same)" "same"

URL=$(aws_ s3 presign "s3://$BIG/data/big.bin" --expires-in 300)
curl -fs -o "$WORK/big.curl" "$URL"
expect_eq "aws s3 presign, fetched with curl" "$(cmp -s "$WORK/big.bin" "$WORK/big.curl" && echo same)" "same"
expect_eq "a tampered presigned URL is refused" "$(curl -s -o /dev/null -w '%{http_code}' "${URL/Signature=/Signature=0}")" "403"
rm -f "$WORK/big.curl"

for i in 1 2 3; do printf 'file %s\n' "$i" | aws_ s3 cp - "s3://$BIG/data/small-$i.txt" >/dev/null; done
expect_eq "aws s3 ls lists the prefix" "$(aws_ s3 ls "s3://$BIG/data/" | awk '{print $4}' | tr '\n' ' ')" "big.bin small-1.txt small-2.txt small-3.txt "
expect_eq "aws s3 ls shows the common prefix" "$(aws_ s3 ls "s3://$BIG/" | awk '{print $1, $2}')" "PRE data/"
aws_ s3 rm --recursive "s3://$BIG/data/" >/dev/null
expect_eq "aws s3 rm --recursive empties the bucket" "$(aws_ s3 ls --recursive "s3://$BIG/" | wc -l)" "0"
aws_ s3api delete-bucket --bucket "$BIG"
ok "the emptied bucket is deleted"
rm -f "$WORK/big.bin" "$WORK/big.back"
