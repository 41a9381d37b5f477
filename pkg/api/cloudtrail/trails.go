package cloudtrail

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/rootaccess/emulator/pkg/api/pipeline"
	"github.com/rootaccess/emulator/pkg/policy"
	"github.com/rootaccess/emulator/pkg/store"
)

// maxTrailsPerRegion is CloudTrail's quota of trails per account and region.
const maxTrailsPerRegion = 5

// servicePrincipal is the principal CloudTrail delivers log files as.
const servicePrincipal = "cloudtrail.amazonaws.com"

var (
	// trailNameChars and trailNameEnds make ^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$
	// (checked by hand: as a regexp, its bounded repetition cost a
	// millisecond of every start).
	trailNameChars  = pipeline.NewCharClass("A-Za-z0-9._-")
	trailNameEnds   = pipeline.NewCharClass("A-Za-z0-9")
	adjacentPunct   = pipeline.NewPattern(`[._-]{2}`)
	ipAddress       = pipeline.NewPattern(`^\d+\.\d+\.\d+\.\d+$`)
	trailARNPattern = pipeline.NewPattern(`^arn:aws:cloudtrail:([a-z0-9-]+):(\d{12}):trail/(.+)$`)
)

// isTrailNameShape is ^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$.
func isTrailNameShape(name string) bool {
	n := len(name)
	return n >= 3 && trailNameEnds.Has(name[0]) && trailNameEnds.Has(name[n-1]) && trailNameChars.Match(name[1:n-1], 1, 126)
}

// validTrailName checks a trail name as CloudTrail documents it.
func validTrailName(name string) error {
	if !isTrailNameShape(name) || adjacentPunct.MatchString(name) || ipAddress.MatchString(name) {
		return clientError("InvalidTrailNameException",
			"Trail name %q is not valid: it must be 3 to 128 letters, numbers, periods, underscores or dashes, start and end with a letter or number, have no adjacent periods, underscores or dashes, and not look like an IP address.", name)
	}
	return nil
}

// validTrailRef checks a trail name or ARN.
func validTrailRef(ref string) error {
	if ref == "" {
		return clientError("InvalidTrailNameException", "A trail name or ARN is required.")
	}
	if strings.HasPrefix(ref, "arn:") {
		if m := trailARNPattern.FindStringSubmatch(ref); m == nil || validTrailName(m[3]) != nil {
			return clientError("CloudTrailARNInvalidException", "%s is not a valid trail ARN.", ref)
		}
		return nil
	}
	return validTrailName(ref)
}

func trailARN(region, account, name string) string {
	return "arn:aws:cloudtrail:" + region + ":" + account + ":trail/" + name
}

// trailRef is an input naming one trail.
type trailRef interface{ trailRef() string }

type trailNameInput struct{ Name string }

func (in *trailNameInput) trailRef() string { return in.Name }
func (in *trailNameInput) Validate() error  { return validTrailRef(in.Name) }

type getTrailInput = trailNameInput

// trailTarget is the trail an operation acts on, in the caller's account
// (a member reads its organization's trail as its own).
func trailTarget[In any](_ *Service, _ context.Context, c *pipeline.Call, in *In) (pipeline.Resource, error) {
	ref := any(in).(trailRef).trailRef()
	if strings.HasPrefix(ref, "arn:") {
		return pipeline.Resource{ARN: ref}, nil
	}
	return pipeline.Resource{ARN: trailARN(c.Region, c.ID.AccountID, ref)}, nil
}

func createTrailTarget(_ *Service, _ context.Context, c *pipeline.Call, in *createTrailInput) (pipeline.Resource, error) {
	return pipeline.Resource{ARN: trailARN(c.Region, c.ID.AccountID, in.Name)}, nil
}

// findTrail resolves a trail name or ARN as the caller sees it: its own
// trail of this region, its own multi-region trail of another, or (by ARN)
// its organization's trail.
func findTrail(tx *store.Tx, c *pipeline.Call, ref string) (store.Trail, error) {
	arn := ref
	if !strings.HasPrefix(ref, "arn:") {
		arn = trailARN(c.Region, c.ID.AccountID, ref)
	}
	t, err := tx.Trail(arn)
	if err == nil && visible(tx, c, t) {
		return t, nil
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Trail{}, err
	}
	if !strings.HasPrefix(ref, "arn:") {
		own, err := tx.AccountTrails(c.ID.AccountID)
		if err != nil {
			return store.Trail{}, err
		}
		for _, t := range own {
			if t.Name == ref && t.MultiRegion {
				return t, nil
			}
		}
	}
	return store.Trail{}, clientError("TrailNotFoundException", "Unknown trail: %s for the user: %s", arn, c.ID.AccountID)
}

// visible says whether the caller may see the trail: its own, or its
// organization's organization trail.
func visible(tx *store.Tx, c *pipeline.Call, t store.Trail) bool {
	if t.Account == c.ID.AccountID {
		return true
	}
	a, err := tx.Account(c.ID.AccountID)
	return err == nil && t.OrganizationID != "" && a.OrganizationID == t.OrganizationID
}

// ownTrail is findTrail for changes: an organization trail changes only
// from the management account that owns it.
func ownTrail(tx *store.Tx, c *pipeline.Call, ref string) (store.Trail, error) {
	t, err := findTrail(tx, c, ref)
	if err != nil {
		return t, err
	}
	if t.Account != c.ID.AccountID {
		return t, clientError("NotOrganizationMasterAccountException",
			"The organization trail %s can only be changed from the organization's management account.", t.ARN)
	}
	return t, nil
}

// --- trail settings shared by CreateTrail and UpdateTrail ---

type trailSettings struct {
	S3BucketName               *string
	S3KeyPrefix                *string
	SnsTopicName               *string
	IncludeGlobalServiceEvents *bool
	IsMultiRegionTrail         *bool
	EnableLogFileValidation    *bool
	CloudWatchLogsLogGroupArn  *string
	CloudWatchLogsRoleArn      *string
	KmsKeyId                   *string
	IsOrganizationTrail        *bool
}

func (in *trailSettings) validate() error {
	if in.S3BucketName != nil && (len(*in.S3BucketName) < 3 || len(*in.S3BucketName) > 63) {
		return clientError("InvalidS3BucketNameException", "S3 bucket name %q is not valid.", *in.S3BucketName)
	}
	if in.S3KeyPrefix != nil && len(*in.S3KeyPrefix) > 200 {
		return clientError("InvalidS3PrefixException", "The S3 key prefix must be at most 200 characters.")
	}
	// The emulator has no SNS, KMS or CloudWatch Logs: no topic, key or
	// log group can exist, and AWS answers a missing one with these errors.
	if in.SnsTopicName != nil && *in.SnsTopicName != "" {
		return clientError("InsufficientSnsTopicPolicyException", "SNS topic %s does not exist or does not let CloudTrail publish.", *in.SnsTopicName)
	}
	if in.KmsKeyId != nil && *in.KmsKeyId != "" {
		return clientError("KmsKeyNotFoundException", "KMS key %s does not exist.", *in.KmsKeyId)
	}
	if in.CloudWatchLogsLogGroupArn != nil && *in.CloudWatchLogsLogGroupArn != "" {
		return clientError("InvalidCloudWatchLogsLogGroupArnException", "CloudWatch Logs log group %s does not exist.", *in.CloudWatchLogsLogGroupArn)
	}
	if in.CloudWatchLogsRoleArn != nil && *in.CloudWatchLogsRoleArn != "" {
		return clientError("InvalidCloudWatchLogsRoleArnException", "A CloudWatch Logs role needs a CloudWatch Logs log group.")
	}
	return nil
}

// apply sets the trail's settings from in, checking the organization and
// the bucket as CreateTrail and UpdateTrail do.
func (in *trailSettings) apply(tx *store.Tx, c *pipeline.Call, t *store.Trail) error {
	if in.S3BucketName != nil {
		t.S3Bucket = *in.S3BucketName
	}
	if in.S3KeyPrefix != nil {
		t.S3KeyPrefix = *in.S3KeyPrefix
	}
	if in.IncludeGlobalServiceEvents != nil {
		t.IncludeGlobalServiceEvents = *in.IncludeGlobalServiceEvents
	}
	if in.IsMultiRegionTrail != nil {
		t.MultiRegion = *in.IsMultiRegionTrail
	}
	if in.EnableLogFileValidation != nil {
		t.LogFileValidation = *in.EnableLogFileValidation
	}
	if in.IsOrganizationTrail != nil {
		t.OrganizationID = ""
		if *in.IsOrganizationTrail {
			org, err := tx.OrganizationOf(c.ID.AccountID)
			if errors.Is(err, store.ErrNotFound) {
				return clientError("OrganizationsNotInUseException", "This account is not a member of an organization.")
			} else if err != nil {
				return err
			}
			if org.ManagementAccountID != c.ID.AccountID {
				return clientError("NotOrganizationMasterAccountException",
					"Only the management account of an organization can create or update an organization trail.")
			}
			if org.FeatureSet != "ALL" {
				return clientError("OrganizationNotInAllFeaturesModeException", "The organization must have all features enabled for an organization trail.")
			}
			if !org.ServiceAccessEnabled(servicePrincipal) {
				return clientError("CloudTrailAccessNotEnabledException",
					"Trusted access for CloudTrail is not enabled in the organization; enable it with organizations:EnableAWSServiceAccess for cloudtrail.amazonaws.com.")
			}
			t.OrganizationID = org.ID
		}
	}
	return checkBucket(tx, *t)
}

// checkBucket checks that the trail's bucket exists and that its policy
// lets CloudTrail put log files where the trail will write them.
func checkBucket(tx *store.Tx, t store.Trail) error {
	b, err := tx.Bucket(t.S3Bucket)
	if errors.Is(err, store.ErrNotFound) {
		return clientError("S3BucketDoesNotExistException", "S3 bucket does not exist: %s", t.S3Bucket)
	} else if err != nil {
		return err
	}
	insufficient := clientError("InsufficientS3BucketPolicyException", "Incorrect S3 bucket policy is detected for bucket: %s", t.S3Bucket)
	if b.Policy == "" {
		return insufficient
	}
	doc, err := policy.ParseAs([]byte(b.Policy), policy.ResourcePolicy)
	if err != nil {
		return insufficient
	}
	dirs := []string{logDirectory(t, t.Account)}
	if t.OrganizationID != "" {
		dirs = append(dirs, logDirectory(t, t.OrganizationID+"/"+t.Account))
	}
	for _, dir := range dirs {
		req := policy.Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::" + t.S3Bucket + "/" + dir + "log.json.gz",
			Principal: policy.Principal{Service: servicePrincipal},
			Context: map[string][]string{"aws:SourceArn": {t.ARN}, "aws:SourceAccount": {t.Account},
				"s3:x-amz-acl": {"bucket-owner-full-control"}}}
		if doc.Evaluate(req) != policy.Allow {
			return insufficient
		}
	}
	return nil
}

// logDirectory is where a trail writes owner's files, before the date:
// [prefix/]AWSLogs/<owner>/.
func logDirectory(t store.Trail, owner string) string {
	dir := "AWSLogs/" + owner + "/"
	if t.S3KeyPrefix != "" {
		dir = t.S3KeyPrefix + "/" + dir
	}
	return dir
}

// --- CreateTrail, UpdateTrail ---

type tag struct {
	Key   string
	Value string `json:",omitempty"`
}

type createTrailInput struct {
	Name string
	trailSettings
	TagsList []tag
}

func (in *createTrailInput) Validate() error {
	if err := validTrailName(in.Name); err != nil {
		return err
	}
	if in.S3BucketName == nil || *in.S3BucketName == "" {
		return clientError("InvalidS3BucketNameException", "An S3 bucket name is required.")
	}
	if len(in.TagsList) > 50 {
		return clientError("TagsLimitExceededException", "A trail can have at most 50 tags.")
	}
	for _, t := range in.TagsList {
		if t.Key == "" || len(t.Key) > 128 || len(t.Value) > 256 {
			return clientError("InvalidTagParameterException", "Tag keys must be 1 to 128 characters and values at most 256.")
		}
	}
	return in.validate()
}

// trailOutput is CreateTrail's and UpdateTrail's answer.
type trailOutput struct {
	Name                       string
	S3BucketName               string
	S3KeyPrefix                string `json:",omitempty"`
	IncludeGlobalServiceEvents bool
	IsMultiRegionTrail         bool
	TrailARN                   string
	LogFileValidationEnabled   bool
	IsOrganizationTrail        bool
}

func trailOutputOf(t store.Trail) *trailOutput {
	return &trailOutput{Name: t.Name, S3BucketName: t.S3Bucket, S3KeyPrefix: t.S3KeyPrefix,
		IncludeGlobalServiceEvents: t.IncludeGlobalServiceEvents, IsMultiRegionTrail: t.MultiRegion, TrailARN: t.ARN,
		LogFileValidationEnabled: t.LogFileValidation, IsOrganizationTrail: t.OrganizationID != ""}
}

func (s *Service) createTrail(ctx context.Context, c *pipeline.Call, in *createTrailInput) (*trailOutput, error) {
	var out store.Trail
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		t := store.Trail{ARN: trailARN(c.Region, c.ID.AccountID, in.Name), Name: in.Name, Account: c.ID.AccountID,
			HomeRegion: c.Region, IncludeGlobalServiceEvents: true, CreatedAt: tx.Now()}
		if _, err := tx.Trail(t.ARN); err == nil {
			return clientError("TrailAlreadyExistsException", "Trail %s already exists for customer: %s", in.Name, c.ID.AccountID)
		}
		own, err := tx.AccountTrails(c.ID.AccountID)
		if err != nil {
			return err
		}
		n := 0
		for _, o := range own {
			if o.HomeRegion == c.Region {
				n++
			}
		}
		if n >= maxTrailsPerRegion {
			return clientError("MaximumNumberOfTrailsExceededException",
				"User: %s already has %d trails in %s.", c.ID.AccountID, n, c.Region)
		}
		if err := in.apply(tx, c, &t); err != nil {
			return err
		}
		out = t
		return tx.PutTrail(t)
	})
	if err != nil {
		return nil, err
	}
	return trailOutputOf(out), nil
}

type updateTrailInput struct {
	Name string
	trailSettings
}

func (in *updateTrailInput) trailRef() string { return in.Name }
func (in *updateTrailInput) Validate() error {
	if err := validTrailRef(in.Name); err != nil {
		return err
	}
	if in.S3BucketName != nil && *in.S3BucketName == "" {
		return clientError("InvalidS3BucketNameException", "The S3 bucket name must not be empty.")
	}
	return in.validate()
}

func (s *Service) updateTrail(ctx context.Context, c *pipeline.Call, in *updateTrailInput) (*trailOutput, error) {
	var out store.Trail
	err := s.store.Update(ctx, func(tx *store.Tx) error {
		t, err := ownTrail(tx, c, in.Name)
		if err != nil {
			return err
		}
		if t.HomeRegion != c.Region {
			return homeRegionError(t)
		}
		if err := in.apply(tx, c, &t); err != nil {
			return err
		}
		out = t
		return tx.PutTrail(t)
	})
	if err != nil {
		return nil, err
	}
	return trailOutputOf(out), nil
}

func homeRegionError(t store.Trail) error {
	return clientError("InvalidHomeRegionException",
		"This operation must be called from the trail's home region, %s.", t.HomeRegion)
}

// --- GetTrail, DescribeTrails ---

type trailShape struct {
	Name                       string
	S3BucketName               string
	S3KeyPrefix                string `json:",omitempty"`
	IncludeGlobalServiceEvents bool
	IsMultiRegionTrail         bool
	HomeRegion                 string
	TrailARN                   string
	LogFileValidationEnabled   bool
	HasCustomEventSelectors    bool
	HasInsightSelectors        bool
	IsOrganizationTrail        bool
}

func trailShapeOf(t store.Trail) trailShape {
	return trailShape{Name: t.Name, S3BucketName: t.S3Bucket, S3KeyPrefix: t.S3KeyPrefix,
		IncludeGlobalServiceEvents: t.IncludeGlobalServiceEvents, IsMultiRegionTrail: t.MultiRegion, HomeRegion: t.HomeRegion,
		TrailARN: t.ARN, LogFileValidationEnabled: t.LogFileValidation, HasCustomEventSelectors: t.Selectors != nil,
		IsOrganizationTrail: t.OrganizationID != ""}
}

type getTrailOutput struct{ Trail trailShape }

func (s *Service) getTrail(ctx context.Context, c *pipeline.Call, in *getTrailInput) (*getTrailOutput, error) {
	var out getTrailOutput
	err := s.store.View(ctx, func(tx *store.Tx) error {
		t, err := findTrail(tx, c, in.Name)
		out.Trail = trailShapeOf(t)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

type describeTrailsInput struct {
	TrailNameList       []string `json:"trailNameList"`
	IncludeShadowTrails *bool    `json:"includeShadowTrails"`
}

func (in *describeTrailsInput) Validate() error {
	for _, ref := range in.TrailNameList {
		if err := validTrailRef(ref); err != nil {
			return err
		}
	}
	return nil
}

type describeTrailsOutput struct {
	TrailList []trailShape `json:"trailList"`
}

func (s *Service) describeTrails(ctx context.Context, c *pipeline.Call, in *describeTrailsInput) (*describeTrailsOutput, error) {
	out := &describeTrailsOutput{TrailList: []trailShape{}}
	shadows := in.IncludeShadowTrails == nil || *in.IncludeShadowTrails
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var trails []store.Trail
		if len(in.TrailNameList) > 0 {
			for _, ref := range in.TrailNameList {
				t, err := findTrail(tx, c, ref)
				if pipeline.AsError(err) != nil {
					continue // AWS lists the trails it finds and skips the others
				} else if err != nil {
					return err
				}
				trails = append(trails, t)
			}
		} else {
			var err error
			if trails, err = visibleTrails(tx, c); err != nil {
				return err
			}
		}
		for _, t := range trails {
			shadow := t.HomeRegion != c.Region || t.Account != c.ID.AccountID
			if shadow && !shadows && len(in.TrailNameList) == 0 {
				continue
			}
			if !slices.ContainsFunc(out.TrailList, func(x trailShape) bool { return x.TrailARN == t.ARN }) {
				out.TrailList = append(out.TrailList, trailShapeOf(t))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// visibleTrails are the trails that apply to the caller's region: its own
// of this region, its multi-region trails, and its organization's trails.
func visibleTrails(tx *store.Tx, c *pipeline.Call) ([]store.Trail, error) {
	own, err := tx.AccountTrails(c.ID.AccountID)
	if err != nil {
		return nil, err
	}
	var out []store.Trail
	for _, t := range own {
		if t.HomeRegion == c.Region || t.MultiRegion {
			out = append(out, t)
		}
	}
	a, err := tx.Account(c.ID.AccountID)
	if err != nil || a.OrganizationID == "" {
		return out, nil
	}
	org, err := tx.OrganizationTrails(a.OrganizationID)
	if err != nil {
		return nil, err
	}
	for _, t := range org {
		if t.Account != c.ID.AccountID && (t.HomeRegion == c.Region || t.MultiRegion) {
			out = append(out, t)
		}
	}
	return out, nil
}

// --- GetTrailStatus, StartLogging, StopLogging, DeleteTrail ---

type getTrailStatusOutput struct {
	IsLogging                      bool
	LatestDeliveryError            string              `json:",omitempty"`
	LatestDeliveryTime             *pipeline.EpochTime `json:",omitempty"`
	StartLoggingTime               *pipeline.EpochTime `json:",omitempty"`
	StopLoggingTime                *pipeline.EpochTime `json:",omitempty"`
	LatestDeliveryAttemptTime      string              `json:",omitempty"`
	LatestDeliveryAttemptSucceeded string              `json:",omitempty"`
	TimeLoggingStarted             string              `json:",omitempty"`
	TimeLoggingStopped             string              `json:",omitempty"`
}

func (s *Service) getTrailStatus(ctx context.Context, c *pipeline.Call, in *trailNameInput) (*getTrailStatusOutput, error) {
	var t store.Trail
	err := s.store.View(ctx, func(tx *store.Tx) error {
		var err error
		t, err = findTrail(tx, c, in.Name)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &getTrailStatusOutput{IsLogging: t.Logging, LatestDeliveryError: t.LatestDeliveryError}
	if !t.LatestDelivery.IsZero() {
		v := pipeline.EpochTime(t.LatestDelivery)
		out.LatestDeliveryTime = &v
		out.LatestDeliveryAttemptTime = pipeline.XMLTime(t.LatestDelivery)
		out.LatestDeliveryAttemptSucceeded = pipeline.XMLTime(t.LatestDelivery)
	}
	if !t.StartedAt.IsZero() {
		v := pipeline.EpochTime(t.StartedAt)
		out.StartLoggingTime, out.TimeLoggingStarted = &v, pipeline.XMLTime(t.StartedAt)
	}
	if !t.StoppedAt.IsZero() {
		v := pipeline.EpochTime(t.StoppedAt)
		out.StopLoggingTime, out.TimeLoggingStopped = &v, pipeline.XMLTime(t.StoppedAt)
	}
	return out, nil
}

// changeTrail runs change on the caller's own trail, from its home region.
func (s *Service) changeTrail(ctx context.Context, c *pipeline.Call, ref string, change func(tx *store.Tx, t *store.Trail) error) error {
	return s.store.Update(ctx, func(tx *store.Tx) error {
		t, err := ownTrail(tx, c, ref)
		if err != nil {
			return err
		}
		if t.HomeRegion != c.Region {
			return homeRegionError(t)
		}
		return change(tx, &t)
	})
}

func (s *Service) startLogging(ctx context.Context, c *pipeline.Call, in *trailNameInput) (*pipeline.NoOutput, error) {
	return &pipeline.NoOutput{}, s.changeTrail(ctx, c, in.Name, func(tx *store.Tx, t *store.Trail) error {
		if !t.Logging {
			t.Logging, t.StartedAt = true, tx.Now()
		}
		return tx.PutTrail(*t)
	})
}

func (s *Service) stopLogging(ctx context.Context, c *pipeline.Call, in *trailNameInput) (*pipeline.NoOutput, error) {
	return &pipeline.NoOutput{}, s.changeTrail(ctx, c, in.Name, func(tx *store.Tx, t *store.Trail) error {
		if t.Logging {
			t.Logging, t.StoppedAt = false, tx.Now()
		}
		return tx.PutTrail(*t)
	})
}

func (s *Service) deleteTrail(ctx context.Context, c *pipeline.Call, in *trailNameInput) (*pipeline.NoOutput, error) {
	return &pipeline.NoOutput{}, s.changeTrail(ctx, c, in.Name, func(tx *store.Tx, t *store.Trail) error {
		return tx.DeleteTrail(t.ARN)
	})
}

// --- PutEventSelectors, GetEventSelectors ---

type dataResourceShape struct {
	Type   string
	Values []string
}

type eventSelectorShape struct {
	ReadWriteType                 string
	IncludeManagementEvents       *bool
	DataResources                 []dataResourceShape
	ExcludeManagementEventSources []string
}

type putEventSelectorsInput struct {
	TrailName              string
	EventSelectors         []eventSelectorShape
	AdvancedEventSelectors []any
}

func (in *putEventSelectorsInput) trailRef() string { return in.TrailName }

var dataResourceTypes = []string{"AWS::S3::Object", "AWS::Lambda::Function", "AWS::DynamoDB::Table"}

func (in *putEventSelectorsInput) Validate() error {
	if err := validTrailRef(in.TrailName); err != nil {
		return err
	}
	if in.EventSelectors != nil && in.AdvancedEventSelectors != nil {
		return clientError("InvalidParameterCombinationException", "Specify either EventSelectors or AdvancedEventSelectors, not both.")
	}
	if in.AdvancedEventSelectors != nil {
		return clientError("UnsupportedOperationException", "The emulator supports basic event selectors only (EventSelectors).")
	}
	invalid := func(format string, args ...any) error {
		return clientError("InvalidEventSelectorsException", format, args...)
	}
	if len(in.EventSelectors) < 1 || len(in.EventSelectors) > 5 {
		return invalid("A trail takes 1 to 5 event selectors, got %d.", len(in.EventSelectors))
	}
	values := 0
	for _, sel := range in.EventSelectors {
		if sel.ReadWriteType != "" && !slices.Contains([]string{"ReadOnly", "WriteOnly", "All"}, sel.ReadWriteType) {
			return invalid("ReadWriteType %q is not valid: use ReadOnly, WriteOnly or All.", sel.ReadWriteType)
		}
		for _, src := range sel.ExcludeManagementEventSources {
			if src != "kms.amazonaws.com" && src != "rdsdata.amazonaws.com" {
				return invalid("Only kms.amazonaws.com and rdsdata.amazonaws.com can be excluded, not %s.", src)
			}
		}
		for _, dr := range sel.DataResources {
			if !slices.Contains(dataResourceTypes, dr.Type) {
				return invalid("Data resource type %q is not valid.", dr.Type)
			}
			for _, v := range dr.Values {
				values++
				if dr.Type == "AWS::S3::Object" && v != "arn:aws:s3" && !strings.HasPrefix(v, "arn:aws:s3:::") {
					return invalid("Value %s for data resource type AWS::S3::Object is not valid: use arn:aws:s3 or an ARN prefix arn:aws:s3:::bucket/.", v)
				}
			}
		}
	}
	if values > 250 {
		return invalid("A trail's event selectors take at most 250 data resource values, got %d.", values)
	}
	return nil
}

type eventSelectorsOutput struct {
	TrailARN       string
	EventSelectors []eventSelectorShape
}

func selectorShapes(sels []store.EventSelector) []eventSelectorShape {
	out := make([]eventSelectorShape, 0, len(sels))
	for _, sel := range sels {
		include := sel.IncludeManagementEvents
		shape := eventSelectorShape{ReadWriteType: sel.ReadWriteType, IncludeManagementEvents: &include,
			DataResources: []dataResourceShape{}, ExcludeManagementEventSources: sel.ExcludeSources}
		if shape.ExcludeManagementEventSources == nil {
			shape.ExcludeManagementEventSources = []string{}
		}
		for _, dr := range sel.DataResources {
			shape.DataResources = append(shape.DataResources, dataResourceShape{Type: dr.Type, Values: dr.Values})
		}
		out = append(out, shape)
	}
	return out
}

func (s *Service) putEventSelectors(ctx context.Context, c *pipeline.Call, in *putEventSelectorsInput) (*eventSelectorsOutput, error) {
	var out *eventSelectorsOutput
	err := s.changeTrail(ctx, c, in.TrailName, func(tx *store.Tx, t *store.Trail) error {
		t.Selectors = []store.EventSelector{}
		for _, sel := range in.EventSelectors {
			rs := store.EventSelector{ReadWriteType: sel.ReadWriteType, IncludeManagementEvents: true,
				ExcludeSources: sel.ExcludeManagementEventSources}
			if rs.ReadWriteType == "" {
				rs.ReadWriteType = "All"
			}
			if sel.IncludeManagementEvents != nil {
				rs.IncludeManagementEvents = *sel.IncludeManagementEvents
			}
			for _, dr := range sel.DataResources {
				rs.DataResources = append(rs.DataResources, store.DataResource{Type: dr.Type, Values: dr.Values})
			}
			t.Selectors = append(t.Selectors, rs)
		}
		out = &eventSelectorsOutput{TrailARN: t.ARN, EventSelectors: selectorShapes(t.Selectors)}
		return tx.PutTrail(*t)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

type getEventSelectorsInput struct{ TrailName string }

func (in *getEventSelectorsInput) trailRef() string { return in.TrailName }
func (in *getEventSelectorsInput) Validate() error  { return validTrailRef(in.TrailName) }

func (s *Service) getEventSelectors(ctx context.Context, c *pipeline.Call, in *getEventSelectorsInput) (*eventSelectorsOutput, error) {
	var out *eventSelectorsOutput
	err := s.store.View(ctx, func(tx *store.Tx) error {
		t, err := findTrail(tx, c, in.TrailName)
		if err != nil {
			return err
		}
		out = &eventSelectorsOutput{TrailARN: t.ARN, EventSelectors: selectorShapes(t.EventSelectors())}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
