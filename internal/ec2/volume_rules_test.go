package ec2

import (
	"errors"
	"strings"
	"testing"

	"github.com/keksdev/keks/internal/awserr"
)

func ptr[T any](v T) *T { return &v }

// wantCode checks an error's EC2 code and that its message holds msg.
func wantCode(t *testing.T, what string, err error, code, msg string) {
	t.Helper()
	var ae *awserr.Error
	if !errors.As(err, &ae) || ae.Code != code || !strings.Contains(ae.Message, msg) {
		t.Errorf("%s: got %v, want %s containing %q", what, err, code, msg)
	}
}

func TestNewVolumeSpecAppliesEBSRules(t *testing.T) {
	for _, tc := range []struct {
		name     string
		req      VolumeRequest
		snapSize int
		want     VolumeSpec
		code     string
		msg      string
	}{
		{name: "gp2 by default, 3 IOPS a GiB with a floor", req: VolumeRequest{Size: ptr(10)}, want: VolumeSpec{Size: 10, Type: "gp2", Iops: 100}},
		{name: "gp2 IOPS follow the size", req: VolumeRequest{Size: ptr(100), Type: "gp2"}, want: VolumeSpec{Size: 100, Type: "gp2", Iops: 300}},
		{name: "gp2 IOPS have a ceiling", req: VolumeRequest{Size: ptr(16384), Type: "gp2"}, want: VolumeSpec{Size: 16384, Type: "gp2", Iops: 16000}},
		{name: "gp3 baseline", req: VolumeRequest{Size: ptr(1), Type: "gp3"}, want: VolumeSpec{Size: 1, Type: "gp3", Iops: 3000, Throughput: 125}},
		{name: "gp3 provisioned", req: VolumeRequest{Size: ptr(100), Type: "gp3", Iops: ptr(6000), Throughput: ptr(500)},
			want: VolumeSpec{Size: 100, Type: "gp3", Iops: 6000, Throughput: 500}},
		{name: "io2 with IOPS", req: VolumeRequest{Size: ptr(10), Type: "io2", Iops: ptr(10000), MultiAttach: ptr(true)},
			want: VolumeSpec{Size: 10, Type: "io2", Iops: 10000, MultiAttach: true}},
		{name: "st1 reports no IOPS", req: VolumeRequest{Size: ptr(125), Type: "st1"}, want: VolumeSpec{Size: 125, Type: "st1"}},
		{name: "size from the snapshot", req: VolumeRequest{Type: "gp3"}, snapSize: 8, want: VolumeSpec{Size: 8, Type: "gp3", Iops: 3000, Throughput: 125}},
		{name: "bigger than the snapshot", req: VolumeRequest{Size: ptr(20)}, snapSize: 8, want: VolumeSpec{Size: 20, Type: "gp2", Iops: 100}},

		{name: "unknown type", req: VolumeRequest{Size: ptr(10), Type: "gp9"}, code: CodeUnknownVolumeType, msg: "gp9"},
		{name: "no size, no snapshot", req: VolumeRequest{}, code: CodeMissingParameter, msg: "size"},
		{name: "gp2 too small", req: VolumeRequest{Size: ptr(0)}, code: CodeInvalidParameterValue, msg: "gp2 volumes must be at least 1 GiB"},
		{name: "gp3 too large", req: VolumeRequest{Size: ptr(16385), Type: "gp3"}, code: CodeInvalidParameterValue, msg: "maximum is 16384GiB"},
		{name: "io1 too small", req: VolumeRequest{Size: ptr(3), Type: "io1", Iops: ptr(100)}, code: CodeInvalidParameterValue, msg: "at least 4 GiB"},
		{name: "io2 up to 64 TiB", req: VolumeRequest{Size: ptr(65537), Type: "io2", Iops: ptr(1000)}, code: CodeInvalidParameterValue, msg: "maximum is 65536GiB"},
		{name: "st1 too small", req: VolumeRequest{Size: ptr(124), Type: "st1"}, code: CodeInvalidParameterValue, msg: "at least 125 GiB"},
		{name: "smaller than the snapshot", req: VolumeRequest{Size: ptr(4)}, snapSize: 8, code: CodeInvalidParameterValue, msg: "smaller than snapshot"},
		{name: "io1 needs IOPS", req: VolumeRequest{Size: ptr(10), Type: "io1"}, code: CodeInvalidParameterCombo, msg: "iops must be specified for io1"},
		{name: "gp2 takes no IOPS", req: VolumeRequest{Size: ptr(10), Iops: ptr(300)}, code: CodeInvalidParameterCombo, msg: "iops is not supported for gp2"},
		{name: "throughput is gp3's", req: VolumeRequest{Size: ptr(10), Type: "io1", Iops: ptr(100), Throughput: ptr(200)}, code: CodeInvalidParameterCombo, msg: "throughput"},
		{name: "multi-attach is io's", req: VolumeRequest{Size: ptr(10), Type: "gp3", MultiAttach: ptr(true)}, code: CodeInvalidParameterCombo, msg: "multiAttachEnabled"},
		{name: "io1 IOPS per GiB", req: VolumeRequest{Size: ptr(10), Type: "io1", Iops: ptr(1000)}, code: CodeInvalidParameterValue, msg: "ratio of 100.000000 is too high; maximum is 50.000000"},
		{name: "io1 IOPS floor", req: VolumeRequest{Size: ptr(10), Type: "io1", Iops: ptr(99)}, code: CodeInvalidParameterValue, msg: "too low; minimum is 100"},
		{name: "io2 IOPS ceiling", req: VolumeRequest{Size: ptr(65536), Type: "io2", Iops: ptr(256001)}, code: CodeInvalidParameterValue, msg: "too high; maximum is 256000"},
		{name: "gp3 IOPS floor", req: VolumeRequest{Size: ptr(100), Type: "gp3", Iops: ptr(2000)}, code: CodeInvalidParameterValue, msg: "Volume iops of 2000 is too low; minimum is 3000."},
		{name: "gp3 IOPS ceiling", req: VolumeRequest{Size: ptr(100), Type: "gp3", Iops: ptr(16001)}, code: CodeInvalidParameterValue, msg: "maximum is 16000"},
		{name: "gp3 IOPS per GiB above the baseline", req: VolumeRequest{Size: ptr(7), Type: "gp3", Iops: ptr(4000)}, code: CodeInvalidParameterValue, msg: "maximum is 500.000000"},
		{name: "gp3 throughput floor", req: VolumeRequest{Size: ptr(10), Type: "gp3", Throughput: ptr(100)}, code: CodeInvalidParameterValue, msg: "minimum is 125"},
		{name: "gp3 throughput ceiling", req: VolumeRequest{Size: ptr(100), Type: "gp3", Iops: ptr(16000), Throughput: ptr(1001)}, code: CodeInvalidParameterValue, msg: "maximum is 1000"},
		{name: "gp3 throughput per IOPS", req: VolumeRequest{Size: ptr(10), Type: "gp3", Throughput: ptr(751)}, code: CodeInvalidParameterValue, msg: "maximum is 0.250000 MiBps per iops"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := newVolumeSpec(tc.req, "snap-0123456789abcdef0", tc.snapSize)
			if tc.code != "" {
				wantCode(t, tc.name, err, tc.code, tc.msg)
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestModifiedSpecCarriesOverWhatItCan(t *testing.T) {
	gp3 := VolumeSpec{Size: 100, Type: "gp3", Iops: 6000, Throughput: 250}
	gp2 := VolumeSpec{Size: 100, Type: "gp2", Iops: 300}
	for _, tc := range []struct {
		name string
		cur  VolumeSpec
		req  VolumeRequest
		want VolumeSpec
		code string
	}{
		{name: "grow keeps performance", cur: gp3, req: VolumeRequest{Size: ptr(200)}, want: VolumeSpec{Size: 200, Type: "gp3", Iops: 6000, Throughput: 250}},
		{name: "gp2 grows its IOPS", cur: gp2, req: VolumeRequest{Size: ptr(1000)}, want: VolumeSpec{Size: 1000, Type: "gp2", Iops: 3000}},
		{name: "gp2 to gp3 takes the baseline", cur: gp2, req: VolumeRequest{Type: "gp3"}, want: VolumeSpec{Size: 100, Type: "gp3", Iops: 3000, Throughput: 125}},
		{name: "gp3 to gp2 drops provisioning", cur: gp3, req: VolumeRequest{Type: "gp2"}, want: gp2},
		{name: "gp3 to io2 keeps IOPS", cur: gp3, req: VolumeRequest{Type: "io2"}, want: VolumeSpec{Size: 100, Type: "io2", Iops: 6000}},
		{name: "new throughput", cur: gp3, req: VolumeRequest{Throughput: ptr(500)}, want: VolumeSpec{Size: 100, Type: "gp3", Iops: 6000, Throughput: 500}},
		{name: "no shrinking", cur: gp3, req: VolumeRequest{Size: ptr(99)}, code: CodeInvalidParameterValue},
		{name: "gp2 to io1 needs IOPS", cur: gp2, req: VolumeRequest{Type: "io1"}, code: CodeInvalidParameterCombo},
		{name: "throughput beyond the IOPS", cur: VolumeSpec{Size: 100, Type: "gp3", Iops: 3000, Throughput: 125}, req: VolumeRequest{Throughput: ptr(800)}, code: CodeInvalidParameterValue},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := modifiedSpec(tc.cur, tc.req)
			if tc.code != "" {
				wantCode(t, tc.name, err, tc.code, "")
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}
