/* qapic harness: what the generated test doubles need from the harness. */
#ifndef QAPIC_HARNESS_H
#define QAPIC_HARNESS_H

/* human-monitor-command's double: true when @command_line was a harness command
 * ("harness-emit EVENT", "harness-emit-all"), which it then carried out. */
bool harness_hmp(const char *command_line);

#endif
