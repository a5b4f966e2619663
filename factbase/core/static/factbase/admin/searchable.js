'use strict';
// Long lists of names (countries, regions, currencies, languages) with a search box: the
// select2 the admin ships for its autocomplete fields, on the options already in the page.
// Rows added to an inline get theirs when added; the hidden template row never does.
{
    const $ = django.jQuery;

    // A select marked data-free-text also takes a value typed in full (a language tag
    // outside the list). It is offered after the names that match, never before, so that
    // "ita" then Enter picks Italiano rather than storing "ita". The server validates it.
    const freeText = {
        tags: true,
        createTag: (params) => {
            const term = params.term.trim();
            return term ? {id: term, text: term, newTag: true} : null;
        },
        insertTag: (data, tag) => data.push(tag)
    };

    function initialise(root) {
        $(root).find('select.searchable-select').not('[name*=__prefix__]').each(function() {
            $(this).select2({
                // A narrow box in an inline row opens a list wide enough to read the names.
                dropdownAutoWidth: true,
                ...(this.dataset.freeText === 'true' ? freeText : {})
            });
        });
    }

    $(() => initialise(document));
    document.addEventListener('formset:added', (event) => initialise(event.target));
}
