// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * extract_btf: dump the .BTF section of every kernel module under MODDIR
 * (.ko or .ko.xz, decompressed in memory) to OUTDIR/<relative path>.btf,
 * on N threads. One process instead of one objcopy per module: the peer
 * programs in bench/ read these raw split BTF files.
 *
 *   extract_btf [-j N] MODDIR OUTDIR
 *
 * Exit 0 when every module had a .BTF section, 1 otherwise.
 */
#define _GNU_SOURCE
#include "bench_util.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_MODULE_SIZE (1024UL * 1024 * 1024)

static const char *const mod_suffixes[] = {".ko", ".ko.xz", NULL};

struct job {
	char **paths;
	size_t cnt;
	const char *moddir;
	const char *outdir;
	atomic_size_t next; /* next path index to take */
	atomic_int errors;
	atomic_size_t btf_bytes;
};

static int mkdir_parents(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	return 0;
}

/* Find .BTF in the ELF image @img; sets *@btf and *@len. */
static int elf_find_btf(void *img, size_t size, const void **btf, size_t *len)
{
	Elf_Scn *scn = NULL;
	Elf_Data *data;
	GElf_Shdr sh;
	size_t shstrndx;
	const char *name;
	int err = -ENOENT;
	Elf *elf;

	elf = elf_memory(img, size);
	if (!elf)
		return -EBADMSG;
	if (elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx)) {
		err = -EBADMSG;
		goto out;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		if (!name || strcmp(name, ".BTF"))
			continue;
		if (sh.sh_type == SHT_NOBITS || sh.sh_offset > size ||
		    sh.sh_size > size - sh.sh_offset) {
			err = -EBADMSG;
			goto out;
		}
		data = elf_rawdata(scn, NULL);
		if (!data || !data->d_buf) {
			err = -EBADMSG;
			goto out;
		}
		*btf = data->d_buf;
		*len = data->d_size;
		err = 0;
		break;
	}
out:
	elf_end(elf);
	return err;
}

static int extract_one(struct job *job, const char *path, struct bbuf *file,
		       struct bbuf *img)
{
	const char *rel = path + strlen(job->moddir);
	char out[4096];
	const void *btf;
	struct bbuf *elf = file;
	size_t btf_len;
	int err, n;

	while (*rel == '/')
		rel++;
	n = snprintf(out, sizeof(out), "%s/%s", job->outdir, rel);
	if (n < 0 || n >= (int)sizeof(out) - 8)
		return -ENAMETOOLONG;
	if (has_suffix(out, ".xz"))
		out[n -= 3] = '\0';
	if (has_suffix(out, ".ko"))
		out[n -= 3] = '\0';
	strcat(out, ".btf");

	err = read_whole(path, file);
	if (err)
		return err;
	if (has_suffix(path, ".xz")) {
		err = xz_decompress(file->data, file->len, 0, img,
				    MAX_MODULE_SIZE);
		if (err)
			return err;
		elf = img;
	}
	err = elf_find_btf(elf->data, elf->len, &btf, &btf_len);
	if (err)
		return err;
	err = mkdir_parents(out);
	if (err)
		return err;
	atomic_fetch_add(&job->btf_bytes, btf_len);
	return write_whole(out, btf, btf_len);
}

static void *worker(void *arg)
{
	struct job *job = arg;
	struct bbuf file = {0}, img = {0};
	size_t i;
	int err;

	while ((i = atomic_fetch_add(&job->next, 1)) < job->cnt) {
		err = extract_one(job, job->paths[i], &file, &img);
		if (err) {
			fprintf(stderr, "extract_btf: %s: .BTF: %s\n",
				job->paths[i], strerror(-err));
			atomic_fetch_add(&job->errors, 1);
		}
	}
	bbuf_free(&file);
	bbuf_free(&img);
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: extract_btf [-j N] MODDIR OUTDIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct job job = {0};
	pthread_t tids[64];
	int nthreads = 2, opt, i, err;
	double t0;

	while ((opt = getopt(argc, argv, "j:")) != -1) {
		if (opt != 'j')
			usage();
		nthreads = atoi(optarg);
		if (nthreads < 1 || nthreads > 64)
			usage();
	}
	if (argc - optind != 2)
		usage();
	job.moddir = argv[optind];
	job.outdir = argv[optind + 1];
	elf_version(EV_CURRENT);
	t0 = now_wall();

	err = path_list_add(job.moddir, mod_suffixes, &job.paths, &job.cnt);
	if (err) {
		fprintf(stderr, "extract_btf: %s: %s\n", job.moddir,
			strerror(-err));
		return 1;
	}
	path_list_sort(job.paths, job.cnt);
	if (mkdir(job.outdir, 0755) && errno != EEXIST) {
		fprintf(stderr, "extract_btf: %s: %s\n", job.outdir,
			strerror(errno));
		return 1;
	}
	for (i = 0; i < nthreads; i++) {
		if (pthread_create(&tids[i], NULL, worker, &job)) {
			fprintf(stderr, "extract_btf: pthread_create failed\n");
			return 1;
		}
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(tids[i], NULL);

	fprintf(stderr,
		"extract_btf: %zu modules, %zu bytes of .BTF, %d errors, "
		"%.2fs\n",
		job.cnt, (size_t)job.btf_bytes, (int)job.errors,
		now_wall() - t0);
	path_list_free(job.paths, job.cnt);
	return job.errors || !job.cnt ? 1 : 0;
}
