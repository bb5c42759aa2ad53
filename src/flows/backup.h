/*
 * backup: the backup as the manual takes it, as a flow (flow.h) of six
 * steps driven through a struct run (run.h):
 *
 *   maintenance-on -> database -> datadir -> maintenance-off -> webroot -> seal
 *
 * Only what must be consistent with the database happens while maintenance
 * mode is on (the dump and the datadir); the webroot, which changes only
 * with updates, is copied after it is off.  Every part is written under
 * "<name>.partial" (db/<id>.partial/, data/<id>.partial/,
 * webroot/<id>.partial/) and renamed into place by the seal step only when
 * all are complete; the seal then writes manifest/<id>/SHA256SUMS and
 * MANIFEST (manifest.h).  The datadir and webroot are dated snapshot
 * directories (data/<id>, webroot/<id>) that `rsync -a` copies back by
 * hand; unchanged files are hard links to the newest earlier snapshot.
 * Maintenance mode goes off on every exit path (the maintenance-on step's
 * cleanup), and a marker (maintmark.h) lets the next command switch it off
 * after a kill -9.
 */
#ifndef BR_BACKUP_H
#define BR_BACKUP_H

struct flow_def;

extern const struct flow_def backup_flow;

#endif
