package controlplane

import (
	"bufio"
	"strings"
	"testing"
)

func TestParseDBSize(t *testing.T) {
	metrics := "# HELP etcd_mvcc_db_total_size_in_bytes Total size of the underlying database physically allocated in bytes.\n" +
		"# TYPE etcd_mvcc_db_total_size_in_bytes gauge\n" +
		"etcd_mvcc_db_total_size_in_bytes_in_use 1.2e+06\n" +
		"etcd_mvcc_db_total_size_in_bytes 2.4576e+06\n"
	n, err := parseDBSize(bufio.NewScanner(strings.NewReader(metrics)))
	if err != nil || n != 2457600 {
		t.Errorf("= %d, %v", n, err)
	}
	if _, err := parseDBSize(bufio.NewScanner(strings.NewReader("other 1\n"))); err == nil {
		t.Error("a missing metric was not an error")
	}
}
