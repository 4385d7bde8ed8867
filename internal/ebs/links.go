package ebs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// On Nitro instances an EBS volume is an NVMe device that udev names
// /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol<id without the dash>;
// the EBS CSI driver's node plugin finds a volume by that name alone
// (pkg/mounter findNvmeVolume), since the device name given to
// AttachVolume is not the name the kernel uses. keks makes the same link
// to the volume's loop device. Instances share the host's /dev (their
// mount namespace is a copy of the host's, with the same devtmpfs), so
// they see it; and keks makes no /dev/xvd* names, which instances would
// share too, and collide on.

// linkPrefix begins every EBS volume link's name.
const linkPrefix = "nvme-Amazon_Elastic_Block_Store_"

// DefaultByID is where udev puts links by device id.
const DefaultByID = "/dev/disk/by-id"

// linkName is the link of a volume, by its id.
func linkName(volumeID string) string {
	return linkPrefix + strings.ReplaceAll(volumeID, "-", "")
}

// volumeOfLink is the volume id a link's name stands for, or "".
func volumeOfLink(name string) string {
	id, ok := strings.CutPrefix(name, linkPrefix+"vol")
	if !ok || id == "" || strings.Trim(id, "0123456789abcdef") != "" {
		return ""
	}
	return "vol-" + id
}

// EnsureLink points a volume's link at dev, relative as udev's are.
func EnsureLink(byID, volumeID, dev string) error {
	link := filepath.Join(byID, linkName(volumeID))
	target := filepath.Join("..", "..", strings.TrimPrefix(dev, "/dev/"))
	if have, err := os.Readlink(link); err == nil && have == target {
		return nil
	}
	if err := os.MkdirAll(byID, 0o755); err != nil {
		return fmt.Errorf("make %s: %w", byID, err)
	}
	// A new link replaces an old one in one step: the driver never finds
	// the name missing or pointing elsewhere.
	tmp := link + ".keks-tmp"
	_ = os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return fmt.Errorf("link %s: %w", link, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("link %s: %w", link, err)
	}
	return nil
}

// RemoveLink removes a volume's link, and the by-id directories when that
// left them empty (a host without udev had none before keks).
func RemoveLink(byID, volumeID string) error {
	err := os.Remove(filepath.Join(byID, linkName(volumeID)))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("remove the link of %s: %w", volumeID, err)
	}
	if os.Remove(byID) == nil {
		_ = os.Remove(filepath.Dir(byID))
	}
	return nil
}

// VolumeLinks lists the volume links under byID: name -> volume id.
func VolumeLinks(byID string) map[string]string {
	entries, err := os.ReadDir(byID)
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, e := range entries {
		if id := volumeOfLink(e.Name()); id != "" {
			out[e.Name()] = id
		}
	}
	return out
}
