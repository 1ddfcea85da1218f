CREATE OR REPLACE FUNCTION fidelio_event_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE members m SET engagement = CASE r.rank WHEN 3 THEN 'contributor' WHEN 2 THEN 'creator'
                                                  ELSE 'consumer' END
    FROM (SELECT member_id,
                 MAX(CASE WHEN event_type = 'review' AND events >= 5 THEN 3
                          WHEN event_type = 'review' AND events >= 1 THEN 2
                          WHEN event_type = 'purchase' AND events >= 1 THEN 1
                          ELSE 0 END) AS rank
          FROM inserted GROUP BY member_id) r
    WHERE m.id = r.member_id AND r.rank > 0
      AND r.rank > CASE m.engagement WHEN 'enrolled' THEN 0 WHEN 'consumer' THEN 1
                                     WHEN 'creator' THEN 2 WHEN 'contributor' THEN 3 ELSE 4 END;
    RETURN NULL;
END
$$;
