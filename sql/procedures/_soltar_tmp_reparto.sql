-- _soltar_tmp_reparto(): internal. Drops the working tables of _repartir (see
-- _crear_tmp_reparto), so a call leaves none behind, refused or not.
DROP PROCEDURE IF EXISTS _soltar_tmp_reparto;
DELIMITER //
CREATE PROCEDURE _soltar_tmp_reparto()
BEGIN
    DROP TEMPORARY TABLE IF EXISTS tmp_rep_campanas;
    DROP TEMPORARY TABLE IF EXISTS tmp_rep_asesores;
    DROP TEMPORARY TABLE IF EXISTS tmp_rep_slots;
    DROP TEMPORARY TABLE IF EXISTS tmp_rep_clientes;
    DROP TEMPORARY TABLE IF EXISTS tmp_numeros;
END//
DELIMITER ;
