# Story: two trainees' tenants, each driven by the real CLI with its own key,
# see nothing of each other; the console answers a browser at /.
echo "story: tenants and the console"
tenant() { # tenant ID: create it and print "KEY SECRET TOKEN ACCOUNT"
  curl -fs -X POST "$ENDPOINT/_emulator/tenants" -d "{\"id\":\"$1\"}" |
    python3 -c 'import json,sys; t=json.load(sys.stdin); print(t["access_key_id"], t["secret_access_key"], t["control_token"], t["management_account_id"])'
}
read -r T1_KEY T1_SECRET T1_TOKEN T1_ACCOUNT <<<"$(tenant trainee-01)"
read -r T2_KEY T2_SECRET T2_TOKEN T2_ACCOUNT <<<"$(tenant trainee-02)"
expect_eq "trainee-01 is its own management account" "$(as "$T1_KEY" "$T1_SECRET" "" sts get-caller-identity --query Account --output text)" "$T1_ACCOUNT"
as "$T1_KEY" "$T1_SECRET" "" s3api create-bucket --bucket trainee-bucket >/dev/null
as "$T2_KEY" "$T2_SECRET" "" s3api create-bucket --bucket trainee-bucket >/dev/null
expect_eq "both trainees own a bucket of the same name" "$(as "$T2_KEY" "$T2_SECRET" "" s3api list-buckets --query 'Buckets[].Name' --output text)" "trainee-bucket"
expect_eq "the default world sees neither" "$(aws_ s3api list-buckets --query "length(Buckets[?Name=='trainee-bucket'])" --output text)" "0"
expect_eq "trainee-02 sees one account, its own" "$(as "$T2_KEY" "$T2_SECRET" "" organizations list-accounts --query 'Accounts[].Id' --output text)" "$T2_ACCOUNT"
curl -fs -X POST "$ENDPOINT/_emulator/tenants/trainee-01/clock" -H "Authorization: Bearer $T1_TOKEN" -d '{"advance":"1h"}' >/dev/null
expect_eq "trainee-02's clock did not move" "$(curl -fs "$ENDPOINT/_emulator/tenants/trainee-02/clock" -H "Authorization: Bearer $T2_TOKEN" | python3 -c 'import json,sys; print(int(json.load(sys.stdin)["offset_seconds"]))')" "0"
expect_eq "trainee-02's token does not open trainee-01" "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$ENDPOINT/_emulator/tenants/trainee-01/reset" -H "Authorization: Bearer $T2_TOKEN")" "401"
curl -fs -X DELETE "$ENDPOINT/_emulator/tenants/trainee-01" >/dev/null
expect_error "a deleted tenant's key" InvalidClientTokenId -- as "$T1_KEY" "$T1_SECRET" "" sts get-caller-identity
expect_eq "a browser at / goes to the console" "$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Accept: text/html' "$ENDPOINT/")" "303 $ENDPOINT/_console/"
