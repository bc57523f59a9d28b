/* qapic harness: what the generated test doubles need from the harness. */
#ifndef QAPIC_HARNESS_H
#define QAPIC_HARNESS_H

/* human-monitor-command's double: true when @command_line was a harness command
 * ("harness-emit EVENT", "harness-emit-all"), which it then carried out. */
bool harness_hmp(const char *command_line);

/* A number that depends only on the request being dispatched (its JSON text): the doubles'
 * union and alternate values take the branch it selects, so that different requests see
 * different branches and the same request, replayed alone, the same. */
extern unsigned harness_request_round;

#endif
