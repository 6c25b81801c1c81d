-- isomine.slack_escape: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). Last defined by 013_slack_escape_and_enqueue.sql before it moved here.
--
-- Slack's control characters in text (https://api.slack.com/reference/surfaces/formatting#escaping):
-- & < > become entities, so a job name, a series name or an error message can neither @-mention a
-- channel (<!channel>) nor plant a disguised link (<https://…|label>). isomine's own report link is
-- appended after escaping, as a link.
CREATE OR REPLACE FUNCTION isomine.slack_escape(text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT replace(replace(replace($1, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')
$$;
