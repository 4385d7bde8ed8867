package server

import "time"

// lifecycleClock is the clock of EKS's version lifecycle: the real time
// shifted by offset (--clock-offset, for tests and demos only). It decides
// support status (DescribeClusterVersions, which versions CreateCluster
// takes, the STANDARD policy check), automatic upgrades and the insights'
// times. Everything else stays on the real clock:
//   - the front door's SigV4 check of X-Amz-Date and of presigned URLs'
//     expiry (eks get-token): clients sign with real time;
//   - IAM and STS sessions and their expiry, the credentials the metadata
//     service and EKS Pod Identity hand out: the front door checks them
//     again, so issue and check must share one clock;
//   - authz (aws:CurrentTime), the web identity verifier and EKS Pod
//     Identity: service account tokens are signed by the clusters' API
//     servers, on real time;
//   - the records' timestamps (createdAt, an update's createdAt...): the
//     controllers measure their create and settle timeouts from them with
//     time.Since, which a shifted stamp would fire at once or never;
//   - CloudWatch Logs (events carry real timestamps and are refused too far
//     from now), KMS, CloudFormation (which signs its own calls to keks),
//     the console and the agents' heartbeats.
func lifecycleClock(offset time.Duration) func() time.Time {
	if offset == 0 {
		return time.Now
	}
	return func() time.Time { return time.Now().Add(offset) }
}
