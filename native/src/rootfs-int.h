/* Shared between rootfs.c and devices.c (not used elsewhere). */
#ifndef TSC_ROOTFS_INT_H
#define TSC_ROOTFS_INT_H

#include "runtime.h"

int mkdir_in_root(int rootfd, const char *path, mode_t mode, tsc_err_t *err);
int mkfile_in_root(int rootfd, const char *path, tsc_err_t *err);
int remount_keep_locked(const char *target, unsigned long flags, tsc_err_t *err);
int mount_cgroup(int rootfd, const spec_t *spec, const spec_mount_t *m, tsc_err_t *err);
int setup_default_devices(int rootfd, bool in_userns, bool terminal, tsc_err_t *err);
int setup_spec_devices(int rootfd, const spec_t *spec, bool in_userns, tsc_err_t *err);

#endif
