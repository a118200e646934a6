/*
 * msoctl's commands. Each takes the words after its name (argv[0] is the
 * first of them), parses its own options with opts_parse, and returns the
 * process exit code: 0 ok, 1 a failure it reported, 2 a usage error.
 */
#ifndef MSOCTL_CMDS_H
#define MSOCTL_CMDS_H

#define EXIT_USAGE	2

int	cmd_keygen(int argc, char **argv);
int	cmd_simulate(int argc, char **argv);
int	cmd_validate(int argc, char **argv);
int	cmd_submit(int argc, char **argv);
int	cmd_status(int argc, char **argv);
int	cmd_token(int argc, char **argv);
int	cmd_sites(int argc, char **argv);
int	cmd_verify(int argc, char **argv);
int	cmd_site(int argc, char **argv);
int	cmd_report(int argc, char **argv);
int	cmd_contracts(int argc, char **argv);

#endif
